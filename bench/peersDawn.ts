// Dawn installed as navigator.gpu before the peers' modules are evaluated: TF.js's WebGPU backend registers itself
// at import time only when navigator.gpu exists. Node 20 has no navigator; the peers also read navigator.userAgent.
import { installDawn } from '../src/node/dawn';

export const dawn = await installDawn();
const nav = (globalThis as { navigator: { userAgent?: string } }).navigator;
nav.userAgent ??= `Node.js/${process.versions.node}`;
