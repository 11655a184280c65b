/**
 * Just enough DER reading to take a PKCS#10 request apart. node:crypto parses keys and
 * certificates and verifies signatures, but cannot parse a certificate signing request.
 */

export interface DerNode {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export const TAG = { integer: 0x02, bitString: 0x03, objectId: 0x06, sequence: 0x30 } as const;

/** One TLV at `offset`; definite lengths of at most 4 bytes only, as DER requires for anything this size. */
export function readNode(der: Buffer, offset = 0): DerNode {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let position = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || position + count > der.length) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[position++]!;
  }
  const end = position + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, start: offset, contentStart: position, end };
}

export function childrenOf(der: Buffer, parent: DerNode): DerNode[] {
  const nodes: DerNode[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const node = readNode(der, offset);
    if (node.end > parent.end) throw new Error('DER element overruns its parent');
    nodes.push(node);
    offset = node.end;
  }
  return nodes;
}

export function readObjectId(der: Buffer, node: DerNode): string {
  if (node.tag !== TAG.objectId || node.end === node.contentStart) throw new Error('expected an OBJECT IDENTIFIER');
  const bytes = der.subarray(node.contentStart, node.end);
  const arcs = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** The whole TLV, tag and length included. */
export function bytesOf(der: Buffer, node: DerNode): Buffer {
  return der.subarray(node.start, node.end);
}

/** The content of a node, without tag and length. */
export function contentOf(der: Buffer, node: DerNode): Buffer {
  return der.subarray(node.contentStart, node.end);
}
