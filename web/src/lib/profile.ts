// The account's profile, KYC state and responsible-gambling limits, as the gateway serves them.

export type Period = 'day' | 'week' | 'month';
export type KycStatus = 'unverified' | 'pending' | 'verified' | 'rejected';
export type DocumentKind = 'passport' | 'driving_licence' | 'national_id' | 'proof_of_address';

export interface Limit {
  readonly amountMinor: number;
  readonly period: Period;
}

export interface PendingLimit {
  readonly limit: Limit | null;
  readonly effectiveAt: string;
}

export interface Profile {
  readonly accountId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly country: string | null;
  readonly dateOfBirth: string | null;
  readonly preferences: { readonly oddsFormat: string; readonly marketingOptIn: boolean };
  /** Set by an admin; anything but active limits what the account may do. */
  readonly tradingStatus: 'active' | 'suspended' | 'frozen';
  readonly kyc: {
    readonly status: KycStatus;
    readonly note: string | null;
    readonly depositTotalMinorMax: number | null;
    readonly depositsAllowed: boolean;
    readonly withdrawalsAllowed: boolean;
    readonly documents: ReadonlyArray<{ readonly documentId: number; readonly kind: DocumentKind; readonly fileName: string; readonly sizeBytes: number; readonly submittedAt: string }>;
  };
  readonly responsibleGambling: {
    readonly depositLimit: Limit | null;
    readonly depositLimitPending: PendingLimit | null;
    readonly depositedInWindowMinor: number;
    readonly lossLimit: Limit | null;
    readonly lossLimitPending: PendingLimit | null;
    readonly selfExcludedUntil: string | null;
  };
}

export const DOCUMENT_KINDS: ReadonlyArray<{ readonly kind: DocumentKind; readonly label: string }> = [
  { kind: 'passport', label: 'Passport' },
  { kind: 'driving_licence', label: 'Driving licence' },
  { kind: 'national_id', label: 'National identity card' },
  { kind: 'proof_of_address', label: 'Proof of address' },
];

export const KYC_LABELS: Record<KycStatus, string> = {
  unverified: 'Not verified',
  pending: 'Under review',
  verified: 'Verified',
  rejected: 'Rejected',
};

/** Hex SHA-256 of a file, computed in the browser (only its metadata and hash are sent). */
export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
