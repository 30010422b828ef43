// The README's quick start (examples/quickstart.mjs via examples/demo.mjs) runs
// to the end against avenor-sim and the process exits by itself.
import test from 'ava'
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

test('the quick start spawns, waits, reads events, follows up and shuts down', async (t) => {
  const { code, stdout, stderr } = await new Promise((resolve) =>
    execFile(process.execPath, [join(root, 'examples', 'demo.mjs')], { timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code ?? 'killed' : 0, stdout, stderr }),
    ),
  )
  t.is(code, 0, stderr)
  t.regex(stdout, /^spawned quickstart: run_id=[0-9a-f-]{36} runtime_id=rt_1$/m)
  t.regex(stdout, /^status: done \(stop_reason=end_turn, session=ses_1\)$/m)
  t.regex(stdout, /^output: The answer is 42\.$/m)
  t.regex(stdout, /^events: agent\.thought_chunk, .*tool\.call, .*session\.end$/m)
  t.regex(stdout, /^follow-up quickstart-followup: done, output: And the question is still open\.$/m)
  t.regex(stdout, /^shutdown: ok=true, removed 4 run files$/m)
})
