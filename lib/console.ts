import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, type CfnElement, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { bundleConsole } from './console-build.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What the console's page may load and call: its own files, and the HTTP API. The API's exact origin is not known
 * here without a dependency cycle (the API's CORS names this distribution), so connect-src names the region's
 * execute-api endpoints; CORS on the API (lib/api.ts) is what admits this origin alone.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  `connect-src 'self' https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`,
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * The ops and warehouse console (console/): a private, encrypted bucket behind CloudFront with Origin Access
 * Control, security headers on every answer, and the built console deployed with a config.json that names the API.
 */
export class Console extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The console's origin (https://…cloudfront.net): the one origin the API's CORS admits. */
  readonly origin: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Only build output lives here; every deploy writes it again.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Holds only the built console (public code, no data); CloudFront reads it through OAC and is where requests are seen.',
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Conveyor console: CSP allowing only its own files and the HTTP API, and the usual hardening headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'Permissions-Policy', value: 'camera=(self), microphone=(), geolocation=()', override: true }],
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Conveyor ops and warehouse console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Ops and warehouse staff work from wherever the shop operates; the API key, not the country, decides access.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'Static files only: every request that reads or changes data goes to the HTTP API, which checks its key and is throttled.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Static files only, no data and no keys in URLs; the HTTP API logs every request that does something.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate cannot pin a minimum TLS version; with a custom domain set minimumProtocolVersion (TLSv1.2_2021 is asked for).',
      },
    );
  }

  /** Deploys the built console and its config.json, which tells it where the API is. */
  publish(apiUrl: string): void {
    const built = s3deploy.Source.asset(path.join(ROOT, 'console'), {
      exclude: ['dist', '.dist-*', 'node_modules'],
      bundling: {
        // Never used: tryBundle builds with Vite on this machine (offline, no Docker).
        image: DockerImage.fromRegistry('node:24-slim'),
        local: {
          tryBundle(outputDir) {
            bundleConsole(ROOT, outputDir);
            return true;
          },
        },
      },
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [built, s3deploy.Source.jsonData('config.json', { apiUrl })],
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 512,
    });
    // CDK's own handler for BucketDeployment (a singleton function it writes); what it is granted is CDK's choice.
    const copying = "CDK's BucketDeployment handler copies the build from the CDK assets bucket into the console bucket";
    Validations.of(deployment.handlerRole).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketDeployment handler writes its logs with AWSLambdaBasicExecutionRole, as CDK builds it.",
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${copying}: CDK's grantRead/grantReadWrite on those two buckets.`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: `${copying}; it reads the build's zip from the bootstrap assets bucket.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/*]`,
        reason: `${copying}: every object of the build, and it deletes the ones a new build no longer has.`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudfront:CreateInvalidation (and GetInvalidation) after a deploy, so the new index.html and config.json are served at once.',
      },
    );
    Validations.of(deployment.handlerRole.node.scope as Construct).acknowledge({
      id: 'AwsSolutions-L1',
      reason: "CDK's BucketDeployment handler runs on the Python runtime CDK pins for it (with the AWS CLI layer it ships).",
    });
  }
}
