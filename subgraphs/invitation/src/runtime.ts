import type { Settings } from '@cmp/platform';
import { DeviceRegistry } from './domain/devices.ts';
import { LoyaltyEligibilityClient, type EligibilityPolicy } from './domain/eligibility.ts';
import type { ScanRecorder } from './domain/scan-recorder.ts';
import { loadKeyRing, type QrKeyRing } from './qr/keys.ts';

/** What the invitation subgraph's resolvers need beyond the request: keys, outside systems, process-wide caches. */
export interface InvitationRuntime {
  keys: QrKeyRing;
  eligibility: EligibilityPolicy;
  devices: DeviceRegistry;
  /** Writes the scans decided without the database, in batches. */
  recorder: ScanRecorder;
  loungeDwellMinutes: number;
}

let current: InvitationRuntime | null = null;

export function invitationRuntime(): InvitationRuntime {
  if (!current) throw new Error('the invitation subgraph has not been configured (configureInvitation)');
  return current;
}

export function configureInvitation(runtime: InvitationRuntime): InvitationRuntime {
  current = runtime;
  return runtime;
}

/** The runtime from validated settings: the key ring from its file, loyalty where the gateway finds it. */
export async function runtimeFromSettings(settings: Settings, recorder: ScanRecorder): Promise<InvitationRuntime> {
  const s = settings.invitation;
  return {
    keys: await loadKeyRing(s.qrKeysFile, { create: s.createQrKeys }),
    eligibility: {
      client: new LoyaltyEligibilityClient(settings.subgraphUrls.loyalty, s.eligibilityTimeoutMs),
      lastKnownTierMaxAgeSeconds: s.lastKnownTierMaxAgeSeconds,
    },
    devices: new DeviceRegistry(),
    recorder,
    loungeDwellMinutes: s.loungeDwellMinutes,
  };
}
