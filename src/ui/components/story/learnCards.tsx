// The Learn tour's cards: one claim each, in plain words, what to look for, and the experiment that checks it.
import type { ReactNode } from 'react';
import { comparePlainVsResidual, train } from '../../actions';
import { LEARN_SWEEP, LEARN_TWINS, QUICK_LOOK, RESNET1202_RECIPE, RESNET164_RECIPE, type FormConfig } from '../../lib/formConfig';
import { useApp } from '../../store';
import type { DeviceSpeed } from '../../lib/duration';
import { fitTwins } from '../../lib/deviceFit';
import { BlockDiagram } from './BlockDiagram';
import { useSweep } from './sweepStore';

export interface LearnCard {
  title: string;
  body: ReactNode;
  /** What to look for once it runs. */
  look: string;
  run: () => void;
  runLabel: string;
  /** The form it sets (shown as changes, asked before), and the form of each run it starts (its duration is said first). */
  form?: FormConfig;
  starts?: FormConfig[];
}

const twins = (f: FormConfig): FormConfig[] => [
  { ...f, arch: 'residual' },
  { ...f, arch: 'plain' },
];

const setForm = (f: Partial<FormConfig>) => useApp.getState().setForm(f);
const scrollTo = (id: string) => document.getElementById(id)?.scrollIntoView({ behavior: 'smooth', block: 'start' });

/** `speed`: this device's, when measured: the twins then train as many steps as fit in a few minutes here. */
export function learnCards(form: FormConfig, speed?: DeviceSpeed): LearnCard[] {
  const twins20 = speed ? fitTwins(speed).form : LEARN_TWINS;
  const twins56 = { ...QUICK_LOOK, depth: 56 };
  const small500 = { ...QUICK_LOOK, depth: 20, width: 16, trainImages: 500, length: 600 };
  return [
    {
      title: 'A residual block adds its input back',
      body: (
        <>
          <p>
            A block computes F(x) with two or three convolutions and outputs H(x) = F(x) + x. If the best thing a block can do is nothing,
            it only has to push F towards zero, which is easy; a plain block would have to learn the identity through its convolutions,
            which is hard.
          </p>
          <BlockDiagram block={form.block} residual={form.arch === 'residual'} />
        </>
      ),
      look: 'The two runs share seed and batches; the “Plain vs residual” readout says whether their training errors differ by more than batch noise, and which way.',
      runLabel: 'Train plain and residual twins',
      form: twins20,
      starts: twins(twins20),
      run: () => {
        setForm(twins20);
        comparePlainVsResidual();
      },
    },
    {
      title: 'BatchNorm behaves differently in training and at test time',
      body: (
        <p>
          While training, BatchNorm normalises each channel with the mean and variance of the current batch, and keeps running averages of
          them. At test time it uses those running averages, so one image’s prediction does not depend on the others in its batch.
        </p>
      ),
      look: 'In “BatchNorm mode”, compare the test accuracy with batch statistics and with running statistics; early in training they can differ a lot.',
      runLabel: 'Train a small net',
      form: QUICK_LOOK,
      starts: [QUICK_LOOK],
      run: () => {
        setForm(QUICK_LOOK);
        train();
      },
    },
    {
      title: 'The degradation problem: deeper plain nets trained worse in the paper',
      body: (
        <p>
          Adding layers to a plain net should never hurt in principle (extra layers could copy their input), yet He et al. (2015, Fig. 6)
          found their 56-layer plain net ending with higher training error than the 20-layer one. It is not overfitting: the training error
          itself is higher. Their residual nets of the same depths got better instead.
        </p>
      ),
      look: 'In “Depth sweep”, the line under the table says whether your deepest plain net trained worse than your shallowest, beyond noise. The black marks are the paper’s Table 6 (residual nets, 64k steps).',
      runLabel: 'Start a depth sweep',
      starts: LEARN_SWEEP.depths.flatMap((depth) => twins({ ...LEARN_SWEEP.form, depth })),
      run: () => {
        useSweep.getState().start(`s${Date.now().toString(36)}`, LEARN_SWEEP.form, LEARN_SWEEP.depths);
        scrollTo('story');
      },
    },
    {
      title: 'Shortcuts carry the gradient to the first layers',
      body: (
        <p>
          The gradient reaching a layer is a product of the derivatives of every layer above it. In a deep plain net that product can shrink
          or grow layer after layer; the shortcut adds a direct path, so the first layers still get a usable gradient.
        </p>
      ),
      look: 'Under the “Gradient norm per layer” chart, each run’s measured first/last gradient ratio. With BatchNorm, He et al. (2015, Sec. 4.1) found the plain nets’ gradients healthy; turn BatchNorm off to compare without it.',
      runLabel: 'Train 56-layer twins',
      form: twins56,
      starts: twins(twins56),
      run: () => {
        setForm(twins56);
        comparePlainVsResidual();
      },
    },
    {
      title: 'More than 1000 layers fit by recomputing',
      body: (
        <p>
          Training keeps every layer’s output for the backward pass, so memory grows with depth. Keeping only the output of every k-th block
          and recomputing the rest during the backward pass makes memory grow like the square root of the depth, for about one extra forward
          pass. He et al. (2015, Table 6) trained a 1202-layer net: 7.93% test error against 6.43% for ResNet-110, which they attribute to
          overfitting.
        </p>
      ),
      look: 'In “More than 1000 layers”, compare the two planned memory bars before training starts, and the multiply-adds each step costs with recomputation.',
      runLabel: 'Set up ResNet-1202',
      form: RESNET1202_RECIPE,
      run: () => {
        setForm(RESNET1202_RECIPE);
        scrollTo('story');
      },
    },
    {
      title: 'Bottlenecks make deep nets cheaper',
      body: (
        <p>
          A bottleneck block shrinks the channels with a 1×1 convolution, runs the 3×3 on the smaller width and grows them back with another
          1×1. For a 256-channel block that is 69,632 weights instead of 1,179,648 for two 3×3 layers.
        </p>
      ),
      look: 'In “Bottlenecks by the numbers”, change the channels and watch both counts; the ResNet-164 preset has 1.7M parameters, about as many as ResNet-110.',
      runLabel: 'Set up ResNet-164',
      form: RESNET164_RECIPE,
      run: () => {
        setForm(RESNET164_RECIPE);
        scrollTo('story');
      },
    },
    {
      title: 'With little data, deep nets memorise',
      body: (
        <p>
          Train the same net on 500 images instead of all of them. A deep net can fit so few images almost perfectly while its test error
          stays high (Zhang et al. 2017): overfitting. The Small data panel says how far apart your run’s two errors end.
        </p>
      ),
      look: 'In the error chart, the dashed training line falls far below the test points.',
      runLabel: 'Train on 500 images',
      form: small500,
      starts: [small500],
      run: () => {
        setForm(small500);
        train();
      },
    },
    {
      title: 'Transfer: start from learned weights',
      body: (
        <p>
          Features learned on one task can help on another (Yosinski et al. 2014). Fine-tuning loads a trained run’s weights by name,
          replaces its classifier with a fresh one for the new classes, and trains the head alone or everything. A twin trained from scratch
          on the same data shows what the loaded weights were worth.
        </p>
      ),
      look: 'Compare the test accuracy of the fine-tuned run and its from-scratch twin at the same steps: that difference is what the loaded weights were worth here.',
      runLabel: 'Go to fine-tuning',
      form: { ...form, trainImages: 500 },
      run: () => {
        setForm({ trainImages: 500 });
        scrollTo('fine-tune');
      },
    },
  ];
}
