import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import type { GraphState } from './src/workflow-graph.js';

/**
 * Imports of an ASL file get only the workflow's graph (state types and transitions), not the task parameters: a
 * fifth of the size in the bundle, and nothing of the table's layout shipped to browsers.
 */
function aslGraph(): Plugin {
  return {
    name: 'conveyor-asl-graph',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.asl.json')) return null;
      const asl = JSON.parse(readFileSync(id, 'utf8')) as { StartAt: string; States: Record<string, GraphState> };
      const States = Object.fromEntries(
        Object.entries(asl.States).map(([name, state]) => [
          name,
          {
            Type: state.Type,
            Next: state.Next,
            End: state.End,
            Default: state.Default,
            Choices: state.Choices?.map((choice) => ({ Next: choice.Next })),
            Catch: state.Catch?.map((handler) => ({ ErrorEquals: handler.ErrorEquals, Next: handler.Next })),
            Retry: state.Retry?.map(() => ({})),
          },
        ]),
      );
      return JSON.stringify({ StartAt: asl.StartAt, States });
    },
  };
}

// Relative asset URLs: the same build is served at /console/ locally and at the root of its CloudFront distribution.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [aslGraph()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  json: { stringify: true },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
});
