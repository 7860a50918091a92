import { createHash } from 'node:crypto';

/**
 * The service's check of a proof of work (`otp_api::pow::satisfies`):
 * SHA-256 of the token followed by the nonce as 8 bytes little-endian
 * starts with `difficulty` zero bits.
 */
export function satisfies(token: string, nonce: number, difficulty: number): boolean {
  const le = Buffer.alloc(8);
  le.writeBigUInt64LE(BigInt(nonce));
  const digest = createHash('sha256').update(token, 'utf8').update(le).digest();
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24 >= difficulty;
    bits += 8;
  }
  return bits >= difficulty;
}

/** The body of a `proof_of_work_required` answer. */
export function proofRequired(token: string, difficulty: number): string {
  return JSON.stringify({
    error: {
      code: 'proof_of_work_required',
      message: 'Many codes were sent to this address today.',
      challenge: { token, difficulty },
    },
  });
}

/** The first nonce that `satisfies` the puzzle: what a client's solver finds. */
export function solve(token: string, difficulty: number): number {
  let nonce = 0;
  while (!satisfies(token, nonce, difficulty)) nonce += 1;
  return nonce;
}
