// Learn mode: a short guided tour, one card per claim of the ResNet story, each with a "Run it" button that sets
// up (and where it is cheap, starts) the experiment that checks it.
import { useState } from 'react';
import { useApp } from '../../store';
import { learnCards } from './learnCards';

export function LearnButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="chip" aria-expanded={open} onClick={() => setOpen(!open)}>
        Learn
      </button>
      {open && <LearnTour onClose={() => setOpen(false)} />}
    </>
  );
}

function LearnTour({ onClose }: { onClose: () => void }) {
  const form = useApp((s) => s.form);
  const cards = learnCards(form);
  const [i, setI] = useState(0);
  const c = cards[i];
  return (
    <div className="learn" role="dialog" aria-label="Learn" aria-modal="false">
      <article className="learn-card" aria-labelledby="learn-title">
        <p className="muted">
          {i + 1} of {cards.length}
        </p>
        <h2 id="learn-title">{c.title}</h2>
        {c.body}
        <p>
          <b>What to look for:</b> {c.look}
        </p>
        <button type="button" className="primary" onClick={c.run} title={c.runLabel}>
          Run it
        </button>
      </article>
      <div className="learn-nav">
        <button type="button" onClick={() => setI(i - 1)} disabled={i === 0}>
          Back
        </button>
        <button type="button" onClick={() => setI(i + 1)} disabled={i === cards.length - 1}>
          Next
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
