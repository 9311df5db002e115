// Run colours, by the run's position in the list (the same in every chart and in the run list).
const COLORS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#db2777', '#0891b2', '#ca8a04', '#4b5563', '#dc2626', '#65a30d'];
/** The first ten from a fixed palette; after them, hues a golden angle apart, so no two runs on screen share a colour. */
export const runColor = (index: number) =>
  index < COLORS.length ? COLORS[index] : `hsl(${Math.round((index * 137.508) % 360)} 70% ${index % 2 ? 38 : 48}%)`;
