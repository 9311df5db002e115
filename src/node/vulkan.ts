// Which Vulkan loader and driver Dawn should see in this process. Dawn (dawn.node) opens libvulkan.so.1 and the
// loader reads its driver list (VK_ICD_FILENAMES) when Dawn starts; the dynamic linker reads LD_LIBRARY_PATH only
// when the process starts. So the CLI computes the environment first and, when it must change, starts node
// again with it (relaunchWithVulkan) before anything loads dawn.node.
//
// The fallback: a machine with no Vulkan driver of its own but a Debian Chromium has SwiftShader (a CPU
// implementation of Vulkan) and a Vulkan loader in /usr/lib/chromium; the in-browser tests use the same one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { basename, join } from 'node:path';

export const CHROMIUM_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
/** Set in the relaunched process, so it never relaunches again. */
const RELAUNCHED = 'RESNET_PLAYGROUND_VULKAN_ENV';

/** The file system questions the plan asks (a parameter so tests can describe a machine). */
export interface FsProbe {
  exists(path: string): boolean;
  /** Names in a directory; [] when it is missing. */
  list(dir: string): string[];
}

const realFs: FsProbe = {
  exists: existsSync,
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

export interface VulkanPlan {
  /** Variables to set (only those that differ from the current environment). */
  set: Record<string, string>;
  /** Why, in words, when anything is set. */
  note?: string;
}

const LIB_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
  '/usr/local/lib',
];

function split(v: string | undefined): string[] {
  return (v ?? '').split(':').filter(Boolean);
}

/** Directories the Vulkan loader searches for driver manifests (*.json) when VK_ICD_FILENAMES is not set. */
function icdDirs(env: NodeJS.ProcessEnv): string[] {
  const data = split(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share');
  const config = split(env.XDG_CONFIG_DIRS ?? '/etc/xdg');
  return [
    ...config.map((d) => join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    ...data.map((d) => join(d, 'vulkan/icd.d')),
    '/usr/local/share/vulkan/icd.d',
    '/usr/share/vulkan/icd.d',
    join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local/share'), 'vulkan/icd.d'),
  ];
}

/**
 * Whether the machine has a GPU device node (DRM render node, or NVIDIA's). Without one, the installed drivers are
 * at best Mesa's CPU ones: Debian 12's lavapipe (mesa-vulkan-drivers, which python3-torch pulls in) lacks a feature
 * Dawn needs ("shaderUniform*ArrayDynamicIndexing required"), so Dawn finds no adapter on it.
 */
function hasGpuDevice(fs: FsProbe): boolean {
  return fs.list('/dev/dri').some((f) => f.startsWith('renderD')) || fs.list('/dev').some((f) => /^nvidia\d+$/.test(f));
}

/**
 * What to set for Dawn to find a Vulkan driver: nothing when the machine has a loader, a driver and a GPU (or the
 * user set VK_ICD_FILENAMES / VK_DRIVER_FILES); Chromium's loader when the system has none; Chromium's
 * SwiftShader as the driver when no other driver is installed or there is no GPU device to drive, or always when
 * `adapter` is 'swiftshader'.
 */
export function vulkanPlan(
  opts: { adapter?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
  fs: FsProbe = realFs,
  platform = process.platform,
): VulkanPlan {
  if (platform !== 'linux') return { set: {} };
  const wantSwiftShader = opts.adapter?.toLowerCase() === 'swiftshader';
  const chromium = fs.exists(SWIFTSHADER_ICD) && fs.exists(`${CHROMIUM_DIR}/libvulkan.so.1`);
  const userDriver = env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES;
  const hasLoader = [...split(env.LD_LIBRARY_PATH), ...LIB_DIRS].some((d) => fs.exists(join(d, 'libvulkan.so.1')));
  const hasDriver = !!userDriver || (hasGpuDevice(fs) && icdDirs(env).some((d) => fs.list(d).some((f) => f.endsWith('.json'))));
  const set: Record<string, string> = {};
  const why: string[] = [];
  if (!chromium) return { set };
  if (!hasLoader) {
    set.LD_LIBRARY_PATH = [CHROMIUM_DIR, ...split(env.LD_LIBRARY_PATH)].join(':');
    why.push(`Chromium's Vulkan loader`);
  }
  if (wantSwiftShader || !hasDriver) {
    if (env.VK_ICD_FILENAMES !== SWIFTSHADER_ICD) set.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    if (env.VK_DRIVER_FILES && env.VK_DRIVER_FILES !== SWIFTSHADER_ICD) set.VK_DRIVER_FILES = SWIFTSHADER_ICD; // it wins over VK_ICD_FILENAMES
    if (set.VK_ICD_FILENAMES || set.VK_DRIVER_FILES)
      why.push(`${wantSwiftShader ? '' : 'no Vulkan driver and GPU, so '}Chromium's SwiftShader (a CPU implementation of Vulkan: slow)`);
  }
  return Object.keys(set).length ? { set, note: `Vulkan: using ${why.join(' and ')} from ${CHROMIUM_DIR}` } : { set };
}

/**
 * The environment for Chromium's SwiftShader when Dawn found no adapter on the drivers in place, with a note naming
 * them: Debian 12's lavapipe (mesa-vulkan-drivers) is such a driver ("Vulkan shaderUniform*ArrayDynamicIndexing
 * required"), as is a GPU's driver Dawn blocklists. Undefined when SwiftShader is in use already or not installed.
 */
export function swiftShaderFallback(
  env: NodeJS.ProcessEnv = process.env,
  fs: FsProbe = realFs,
  platform = process.platform,
): VulkanPlan | undefined {
  if (platform !== 'linux' || env.VK_ICD_FILENAMES === SWIFTSHADER_ICD || env.VK_DRIVER_FILES === SWIFTSHADER_ICD) return undefined;
  const plan = vulkanPlan({ adapter: 'swiftshader' }, env, fs, platform);
  if (!plan.set.VK_ICD_FILENAMES && !plan.set.VK_DRIVER_FILES) return undefined;
  const given = split(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES);
  const found = given.length ? given : icdDirs(env).flatMap((d) => fs.list(d).filter((f) => f.endsWith('.json')));
  const drivers = found.length ? [...new Set(found.map((f) => basename(f)))].join(', ') : 'no Vulkan driver';
  return {
    set: plan.set,
    note: `Vulkan: Dawn found no adapter on ${drivers}; using Chromium's SwiftShader (a CPU implementation of Vulkan: slow) from ${CHROMIUM_DIR} instead`,
  };
}

/** Starts this script again with `set` added to the environment; returns the child's exit code. */
function relaunch(set: Record<string, string>): number {
  const script = process.argv[1];
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...set, [RELAUNCHED]: '1' },
  });
  if (r.error) throw r.error;
  return r.status ?? 128 + (r.signal ? constants.signals[r.signal] : 0);
}

/**
 * Starts this script again with the Vulkan environment when it needs one, and returns the child's exit code;
 * undefined when this process can go on as it is (nothing to set, or it is the relaunched one).
 */
export function relaunchWithVulkan(opts: { adapter?: string }, log: (line: string) => void): number | undefined {
  if (process.env[RELAUNCHED]) return undefined;
  const plan = vulkanPlan(opts);
  if (!plan.note) return undefined;
  log(plan.note);
  return relaunch(plan.set);
}

/**
 * When no adapter was asked for and `hasAdapter` (Dawn's answer in this environment) is false, starts this script
 * again on Chromium's SwiftShader and returns the child's exit code; undefined when this process can go on.
 */
export async function relaunchWhenNoAdapter(
  opts: { adapter?: string },
  hasAdapter: () => Promise<boolean>,
  log: (line: string) => void,
): Promise<number | undefined> {
  const plan = opts.adapter ? undefined : swiftShaderFallback();
  if (!plan || (await hasAdapter())) return undefined;
  log(plan.note!);
  return relaunch(plan.set);
}
