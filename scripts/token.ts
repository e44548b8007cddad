/**
 * Prints one bearer token signed with the embedded mode's development key, and nothing else:
 *   pnpm token --role <Role> [--customer <customerId>] [--lounge <loungeCode>] [--mfa] [--ttl 12h]
 */
import { parseArgs } from 'node:util';
import { ROLES, isRole, loadSettingsOrExit, signDevToken, type Role } from '@cmp/platform';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: pnpm token --role <Role> [--customer <customerId>] [--lounge <loungeCode>] [--mfa] [--ttl 12h]\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    customer: { type: 'string' },
    lounge: { type: 'string' },
    mfa: { type: 'boolean', default: false },
    ttl: { type: 'string', default: '12h' },
    subject: { type: 'string' },
  },
  strict: true,
});

const roles = (values.role ?? []).flatMap((r) => r.split(','));
if (roles.length === 0) fail(`--role is required; one of ${ROLES.join(', ')}`);
for (const role of roles) if (!isRole(role)) fail(`unknown role "${role}"; one of ${ROLES.join(', ')}`);

const settings = loadSettingsOrExit();
try {
  const token = await signDevToken(settings, {
    roles: roles as Role[],
    customerId: values.customer ?? null,
    loungeCode: values.lounge ?? null,
    mfa: values.mfa,
    expiresIn: values.ttl,
    ...(values.subject ? { subject: values.subject } : {}),
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  fail((error as Error).message);
}
