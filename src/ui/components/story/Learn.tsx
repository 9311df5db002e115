// Learn mode: a short guided tour, one card per claim of the ResNet story, each with a "Run it" button that sets
// up (and where it is cheap, starts) the experiment that checks it.
import { useState } from 'react';
import { create } from 'zustand';
import { useApp } from '../../store';
import { estimateText, runMacs } from '../../lib/duration';
import { useDeviceSpeed } from '../useDeviceSpeed';
import { formChanges } from '../../lib/formChanges';
import { learnCards, type LearnCard } from './learnCards';
import type { FormConfig } from '../../lib/formConfig';

/** Before "Run it" acts: what it starts and how long that takes here, and which settings of the form it replaces. */
function RunItConfirm({ card, form, onStart, onCancel }: { card: LearnCard; form: FormConfig; onStart: () => void; onCancel: () => void }) {
  const { speed, unmeasured } = useDeviceSpeed();
  const starts = card.starts ?? [];
  const changes = card.form ? formChanges(form, card.form) : [];
  const macs = starts.reduce((a, f) => a + runMacs(f), 0);
  return (
    <div className="learn-confirm" role="group" aria-label="Before it runs" data-testid="learn-confirm">
      <p data-testid="learn-estimate">
        {starts.length === 0
          ? `${card.runLabel}: nothing starts training yet.`
          : `${card.runLabel}: ${starts.length === 1 ? 'one run' : `${starts.length} runs`}, ${estimateText(macs, speed, unmeasured)}.`}
      </p>
      <p data-testid="learn-changes">
        {changes.length === 0 ? 'Your form stays as it is.' : `It replaces these settings of your form: ${changes.join(', ')}.`}
      </p>
      <div className="learn-nav">
        <button type="button" className="primary" onClick={onStart}>
          {starts.length ? 'Start' : 'Set up'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Whether the tour is open: the header's button opens it, the page lays it out beside (or above) the panels. */
export const useLearnOpen = create<{ open: boolean; setOpen: (open: boolean) => void }>((set) => ({
  open: false,
  setOpen: (open) => set({ open }),
}));

export function LearnButton() {
  const { open, setOpen } = useLearnOpen();
  return (
    <button type="button" className="chip" aria-expanded={open} aria-controls="learn-tour" onClick={() => setOpen(!open)}>
      Learn
    </button>
  );
}

/**
 * The tour in the page's own layout, not floating over it (it covered the Runs table's right third): a third column
 * beside the panels on a wide screen, a full-width panel above them on a narrower one (styles.css .learn).
 */
export function LearnDock() {
  const { open, setOpen } = useLearnOpen();
  return open ? <LearnTour onClose={() => setOpen(false)} /> : null;
}

function LearnTour({ onClose }: { onClose: () => void }) {
  const form = useApp((s) => s.form);
  const { speed } = useDeviceSpeed();
  const cards = learnCards(form, speed);
  const [i, setI] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState<number | undefined>();
  const training = useApp((s) => Object.values(s.runs).some((r) => r.live && r.state === 'training'));
  const c = cards[i];
  const go = (k: number) => {
    setI(k);
    setConfirming(false);
  };
  return (
    <section id="learn-tour" className="panel learn" role="dialog" aria-label="Learn" aria-modal="false">
      <article className="learn-card" aria-labelledby="learn-title">
        <p className="muted">
          {i + 1} of {cards.length}
        </p>
        <h2 id="learn-title">{c.title}</h2>
        {c.body}
        <p>
          <b>What to look for:</b> {c.look}
        </p>
        {confirming ? (
          <RunItConfirm
            card={c}
            form={form}
            onCancel={() => setConfirming(false)}
            onStart={() => {
              setConfirming(false);
              setStarted(i);
              c.run();
            }}
          />
        ) : (
          <button
            type="button"
            className="primary"
            onClick={() => setConfirming(true)}
            title={c.runLabel}
            disabled={started === i && training}
          >
            Run it
          </button>
        )}
        {started === i && !confirming && (
          <p className="muted" data-testid="learn-running" aria-live="polite">
            {c.starts?.length
              ? training
                ? 'Running: the Runs panel shows its steps and time left.'
                : 'Started; the Runs panel shows how it went.'
              : 'Set up in the form.'}
          </p>
        )}
      </article>
      <div className="learn-nav">
        <button type="button" onClick={() => go(i - 1)} disabled={i === 0}>
          Back
        </button>
        <button type="button" onClick={() => go(i + 1)} disabled={i === cards.length - 1}>
          Next
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
