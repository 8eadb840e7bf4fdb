/** The workflow's states and transitions, from its ASL, in the order a reader follows them. Pure. */

/** What the console draws of a state: its type and where it can go next (ASL's Next, Default, Choices and Catch). */
export interface GraphState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[] }[];
}

export interface AslGraph {
  StartAt: string;
  States: Record<string, GraphState>;
}

export interface Transition {
  to: string;
  /** How: next, a choice, the choice's default, or a Catch of these errors. */
  kind: 'next' | 'choice' | 'default' | 'catch';
  errors?: string[];
}

export interface GraphNode {
  name: string;
  type: string;
  retries: boolean;
  end: boolean;
  transitions: Transition[];
}

/** Every state, breadth first from StartAt (so the happy path reads first), each with its transitions. */
export function workflowGraph(asl: AslGraph): GraphNode[] {
  const nodes: GraphNode[] = [];
  const seen = new Set<string>([asl.StartAt]);
  const queue = [asl.StartAt];
  while (queue.length) {
    const name = queue.shift() as string;
    const state = asl.States[name];
    if (!state) continue;
    const transitions: Transition[] = [
      ...(state.Next ? [{ to: state.Next, kind: 'next' as const }] : []),
      ...(state.Choices ?? []).map((choice) => ({ to: choice.Next, kind: 'choice' as const })),
      ...(state.Default ? [{ to: state.Default, kind: 'default' as const }] : []),
      ...(state.Catch ?? []).map((handler) => ({ to: handler.Next, kind: 'catch' as const, errors: handler.ErrorEquals })),
    ];
    nodes.push({
      name,
      type: state.Type,
      retries: Boolean(state.Retry?.length),
      end: Boolean(state.End) || state.Type === 'Succeed' || state.Type === 'Fail',
      transitions,
    });
    for (const { to } of transitions) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return nodes;
}
