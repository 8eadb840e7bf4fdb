import { SFNClient } from '@aws-sdk/client-sfn';

// Built once per module; the endpoint comes from AWS_ENDPOINT_URL_SFN.
export const stepFunctions = new SFNClient({});
