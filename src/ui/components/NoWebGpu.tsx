// The full-page explanation when this browser cannot run WebGPU (or its adapter is too small).
export function NoWebGpu({ message, advice }: { message?: string; advice?: string }) {
  return (
    <main className="fatal" role="alert">
      <div className="fatal-card">
        <h1>ResNet Playground needs WebGPU</h1>
        <p className="lead">
          {message ?? 'This browser does not offer WebGPU, which the playground uses to train networks on your graphics card.'}
        </p>
        {advice && <p>{advice}</p>}
        <h2>How to turn it on</h2>
        <ul>
          <li>
            Use a recent <b>Chrome</b> or <b>Edge</b> (version 113 or later) on Windows, macOS or ChromeOS: WebGPU is on by default.
          </li>
          <li>
            On <b>Linux</b>, open <code>chrome://flags</code>, enable <i>Unsafe WebGPU Support</i> (<code>#enable-unsafe-webgpu</code>) and{' '}
            <i>Vulkan</i> (<code>#enable-vulkan</code>), then restart Chrome.
          </li>
          <li>Make sure hardware acceleration is on: Settings → System → “Use graphics acceleration when available”.</li>
          <li>
            Check <code>chrome://gpu</code>: the line “WebGPU” should say <i>Hardware accelerated</i>.
          </li>
          <li>The page must be served over https or from localhost.</li>
        </ul>
        <p>
          <button type="button" className="primary" onClick={() => location.reload()}>
            Try again
          </button>
        </p>
      </div>
    </main>
  );
}
