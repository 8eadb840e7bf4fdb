import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CfnTemplate, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

/** Local name of a bucket: stable across restarts (objects are kept), and a valid S3 name (lower case, at most 63 characters). */
export function localBucketName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`.toLowerCase().slice(0, 63);
}

/**
 * Creates every AWS::S3::Bucket of the template in the local S3 (fauxqs, path-style), keeping existing ones and
 * their objects. Only the bucket itself: encryption, versioning, lifecycle rules, access logging and bucket
 * policies are read but not emulated.
 */
export async function createBuckets(client: S3Client, template: CfnTemplate, stackName: string): Promise<Map<string, LocalResource>> {
  const identities = new Map<string, LocalResource>();
  for (const [logicalId] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const name = localBucketName(stackName, logicalId);
    await client.send(new CreateBucketCommand({ Bucket: name }));
    identities.set(logicalId, {
      ref: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
        DualStackDomainName: `${name}.s3.dualstack.${LOCAL_REGION}.amazonaws.com`,
        WebsiteURL: `http://${name}.s3-website-${LOCAL_REGION}.amazonaws.com`,
      },
    });
  }
  return identities;
}
