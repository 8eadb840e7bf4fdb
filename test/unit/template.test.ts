import { describe, expect, it } from 'vitest';
import { IntrinsicResolver } from '../../local/template.js';

describe('IntrinsicResolver', () => {
  const resolver = new IntrinsicResolver(
    new Map([
      ['Table', { ref: 'Conveyor-Table', attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Conveyor-Table' } }],
      ['Fn', { ref: 'Conveyor-Fn', attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:Conveyor-Fn' } }],
    ]),
    'Conveyor',
  );

  it('resolves Ref, GetAtt and pseudo parameters', () => {
    expect(resolver.resolve({ Ref: 'Table' })).toBe('Conveyor-Table');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toContain(':function:Conveyor-Fn');
    expect(resolver.resolve({ Ref: 'AWS::Region' })).toBe('us-east-1');
  });

  it('resolves nested Join, Select, Split and Sub', () => {
    const joined = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'Table' }]] };
    expect(resolver.resolve(joined)).toBe('arn:aws:x:Conveyor-Table');
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['-', { Ref: 'Table' }] }] })).toBe('Table');
    expect(resolver.resolve({ 'Fn::Sub': '${Table}/${Fn.Arn}/${AWS::AccountId}' })).toBe(
      'Conveyor-Table/arn:aws:lambda:us-east-1:000000000000:function:Conveyor-Fn/000000000000',
    );
    expect(resolver.resolve({ 'Fn::Sub': ['${Name}!', { Name: { Ref: 'Table' } }] })).toBe('Conveyor-Table!');
  });

  it('fails loudly on an unknown reference instead of leaving a blank', () => {
    expect(() => resolver.resolve({ Ref: 'Missing' })).toThrow(/cannot resolve Ref Missing/);
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Table', 'Nope'] })).toThrow(/Table.Nope/);
  });

  it('leaves plain values alone', () => {
    expect(resolver.resolve({ a: [1, 'b', { c: true }] })).toEqual({ a: [1, 'b', { c: true }] });
  });
});
