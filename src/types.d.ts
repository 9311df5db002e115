// WGSL files (and the exported PyTorch script's template) are imported as text through Vite's `?raw` suffix.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
declare module '*.py?raw' {
  const source: string;
  export default source;
}
