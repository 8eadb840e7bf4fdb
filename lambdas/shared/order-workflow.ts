import { StepFunctionsOrderWorkflow } from '../adapters/step-functions-workflow.js';
import { requireEnv } from './config.js';

export const orderWorkflow = new StepFunctionsOrderWorkflow(requireEnv('STATE_MACHINE_ARN'), process.env.TABLE_NAME);
