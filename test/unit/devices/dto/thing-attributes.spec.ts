import { describe, expect, it } from 'vitest';
import { thingAttributesProblem } from '../../../../src/devices/dto/thing-attributes.js';

describe('thingAttributesProblem', () => {
  it.each([[{}], [{ site: 'lab-3' }], [{ 'a_b.c,d@e/f:g#h-i': 'x_y.z,1@2/3:4#5-6' }]])('accepts %j', (attributes) => {
    expect(thingAttributesProblem(attributes)).toBeUndefined();
  });

  it.each([
    [{ a: '1', b: '2' }, /at most 1 entry: AWS allows 3 attributes on a thing without a type, and owner and device take 2/],
    [{ owner: 'mallory' }, /attributes.owner is set by the service/],
    [{ device: 'x' }, /attributes.device is set by the service/],
    [{ 'has space': 'x' }, /attribute names must be 1-128 characters/],
    [{ ['k'.repeat(129)]: 'x' }, /attribute names must be 1-128 characters/],
    [{ site: '' }, /attributes.site must be a string of 1-800 characters/],
    [{ site: 'a=b' }, /attributes.site must be a string/],
    [{ site: 'v'.repeat(801) }, /attributes.site must be a string/],
    [{ site: 3 }, /attributes.site must be a string/],
    [['x'], /must be an object of strings/],
    ['x', /must be an object of strings/],
  ])('refuses %j', (attributes, problem) => {
    expect(thingAttributesProblem(attributes)).toMatch(problem);
  });
});
