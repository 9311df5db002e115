// Explicit bind-group layouts, shared by every kernel with the same binding signature
// (layout:'auto' would tie a bind group to one pipeline and drop unused bindings).
export type Access = 'read' | 'rw' | 'uniform';

const cache = new WeakMap<GPUDevice, Map<string, GPUBindGroupLayout>>();

export function layoutFor(device: GPUDevice, bindings: readonly Access[]): GPUBindGroupLayout {
  let perDevice = cache.get(device);
  if (!perDevice) cache.set(device, (perDevice = new Map<string, GPUBindGroupLayout>()));
  const key = bindings.join(',');
  let layout = perDevice.get(key);
  if (!layout) {
    const storage = bindings.filter((b) => b !== 'uniform').length;
    if (storage > device.limits.maxStorageBuffersPerShaderStage) {
      throw new Error(`kernel needs ${storage} storage buffers; this device allows ${device.limits.maxStorageBuffersPerShaderStage}`);
    }
    layout = device.createBindGroupLayout({
      label: `layout[${key}]`,
      entries: bindings.map((access, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: access === 'uniform' ? 'uniform' : access === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    perDevice.set(key, layout);
  }
  return layout;
}
