import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizedStack } from './stack-template.js';

type Synthesized = ReturnType<typeof synthesizedStack>;

describe('the console (lib/console.ts)', () => {
  let stack: Synthesized;
  let bucketId: string;
  let distributionId: string;
  beforeAll(() => {
    stack = synthesizedStack();
    bucketId = stack.logicalId(stack.stack.console.bucket);
    distributionId = stack.logicalId(stack.stack.console.distribution);
  });

  it('keeps its bucket private: public access blocked, encrypted, TLS only, readable by this distribution alone', () => {
    const bucket = stack.template.toJSON().Resources[bucketId];
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    const [policy] = Object.values(stack.template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }));
    const statements = policy?.Properties.PolicyDocument.Statement as { Effect: string; Principal: unknown; Condition?: unknown }[];
    // Every Allow names CloudFront for this distribution only; the one Deny refuses plain HTTP.
    for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
      expect(statement.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
      expect(JSON.stringify(statement.Condition)).toContain(distributionId);
    }
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('serves it through CloudFront with Origin Access Control, HTTPS, index.html at the root and security headers', () => {
    const distribution = stack.template.toJSON().Resources[distributionId].Properties.DistributionConfig;
    expect(distribution.DefaultRootObject).toBe('index.html');
    expect(distribution.Origins).toHaveLength(1);
    expect(distribution.Origins[0]).toMatchObject({
      OriginAccessControlId: { 'Fn::GetAtt': [expect.any(String), 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    stack.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    const [headers] = Object.values(stack.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const security = headers?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('execute-api.');
    expect(security).toMatchObject({ ContentTypeOptions: { Override: true }, FrameOptions: { FrameOption: 'DENY' } });
  });

  it('admits the console’s https origin, and no other, in the API’s CORS', () => {
    const [api] = Object.values(stack.template.findResources('AWS::ApiGatewayV2::Api'));
    const cors = api?.Properties.CorsConfiguration;
    expect(cors.AllowOrigins).toEqual([{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] }]);
    expect(cors.AllowHeaders).toEqual(['authorization', 'content-type', 'idempotency-key']);
    expect(cors.AllowCredentials).toBeUndefined();
  });

  it('deploys the build with a config.json naming the API, and outputs the distribution’s URL as ConsoleUrl', () => {
    const apiId = stack.logicalId(stack.stack.api.httpApi);
    stack.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: bucketId },
      DistributionId: { Ref: distributionId },
      // Source.jsonData('config.json', { apiUrl }): the API's endpoint, filled in at deploy time.
      SourceMarkers: Match.arrayWith([{ '<<marker:0xbaba:0>>': { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } }]),
    });
    expect(stack.template.findOutputs('ConsoleUrl').ConsoleUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]],
    });
  });
});
