// Publishes an element's height as a CSS custom property on the page, for what is laid out around a sticky bar:
// the Runs header sticks below the run-controls bar, and headings scrolled to stop below the bars
// (styles.css scroll-margin-top). The heights change with the window width (buttons and stats wrap).
import { useLayoutEffect, useRef, useState } from 'react';

export function usePublishedHeight<E extends HTMLElement>(property: `--${string}`) {
  const ref = useRef<E>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const root = document.documentElement;
    // The unrounded border-box height: offsetHeight rounds, which would let a bar overlap what is below it by a fraction of a pixel.
    const observer = new ResizeObserver(() => root.style.setProperty(property, `${el.getBoundingClientRect().height}px`));
    observer.observe(el);
    return () => {
      observer.disconnect();
      root.style.removeProperty(property);
    };
  }, [property]);
  return ref;
}

/** The element's content width in CSS pixels (`initial` until it is laid out), for SVGs drawn at 1:1 scale. */
export function useWidth<E extends HTMLElement>(initial: number) {
  const ref = useRef<E>(null);
  const [width, setWidth] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.round(entry.contentRect.width);
      if (w > 0) setWidth(w);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}
