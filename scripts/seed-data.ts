/**
 * Demo data, created through the gateway's public API with an Admin token, so it obeys every rule a client
 * would meet: customers, loyalty members across the tiers, cases, lounge invitations and logged interactions.
 */
export interface SeedSummary {
  customers: number;
  loyaltyAccounts: number;
  cases: number;
  invitations: number;
  interactions: number;
  loungeDevices: number;
  caseQueues: number;
  contacts: number;
  purchases: number;
  trips: number;
}

interface DemoCustomer {
  input: Record<string, unknown>;
  tier?: string;
  cases?: { subject: string; description: string; category: string; priority: string }[];
  lounge?: { loungeCode: string; flightNumber: string; guests: number };
  interactions?: { channel: string; direction: string; subject?: string; summary: string; durationSeconds?: number }[];
  preferences?: Record<string, unknown>;
  consents?: { purpose: string; granted: boolean; source: string }[];
  contacts?: Record<string, unknown>[];
  purchases?: Record<string, unknown>[];
  trips?: Record<string, unknown>[];
}

const daysFrom = (now: Date, days: number, hour = 10) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days, hour)).toISOString();

const DEMO: DemoCustomer[] = [
  {
    input: {
      type: 'INDIVIDUAL', title: 'Sra.', firstName: 'Lucía', lastName: 'Fernández García', primaryEmail: 'lucia.fernandez@example.com', primaryPhone: '+34 612 345 678',
      preferredLanguage: 'es', timeZone: 'Europe/Madrid', dateOfBirth: '1982-04-17', gender: 'FEMALE', nationality: 'ES',
      passport: { number: 'PAB123456', country: 'ES', expiresOn: '2031-06-30' },
      billingAddress: { street: 'Calle de Serrano 45', city: 'Madrid', zipCode: '28001', country: 'ES' }, shippingSameAsBilling: true,
    },
    preferences: { channels: ['PUSH', 'EMAIL'], seat: 'AISLE', meal: 'VGML', drink: 'Cava', interests: ['opera', 'golf'] },
    consents: [{ purpose: 'MARKETING_EMAIL', granted: true, source: 'MOBILE_APP' }],
    purchases: [
      { orderReference: 'DEMO-WEB-0001', channel: 'WEB', currency: 'EUR', items: [{ sku: 'SEAT-XL', description: 'Extra legroom seat IB6253', quantity: 1, unitAmountMinor: 7500 }, { sku: 'BAG-23', description: 'Extra bag 23 kg', quantity: 1, unitAmountMinor: 6000 }] },
      { orderReference: 'DEMO-INF-0002', channel: 'INFLIGHT', currency: 'EUR', items: [{ sku: 'DUTYFREE-PERF', description: 'Perfume 50 ml', quantity: 1, unitAmountMinor: 8950 }] },
    ],
    trips: [
      { pnr: 'X7K2PQ', ticketNumber: '0752123456789', flightNumber: 'IB3166', origin: 'LHR', destination: 'MAD', days: -3, hours: 2.5, cabin: 'BUSINESS', status: 'FLOWN', bagTags: ['0075123456'] },
      { pnr: 'Z9M4RT', ticketNumber: '0752987654321', flightNumber: 'IB6253', origin: 'MAD', destination: 'JFK', days: 0, hours: 8.5, cabin: 'BUSINESS', status: 'CHECKED_IN' },
    ],
    tier: 'PLATINO',
    cases: [{ subject: 'Bag delayed on IB3166 from London', description: 'My suitcase did not arrive in Madrid on IB3166; tag IB123456.', category: 'BAGGAGE', priority: 'HIGH' }],
    lounge: { loungeCode: 'MAD-VELAZQUEZ', flightNumber: 'IB6253', guests: 1 },
    interactions: [{ channel: 'CALL', direction: 'INBOUND', durationSeconds: 420, summary: 'Called about the delayed bag; tracing opened with the handling agent.' }],
  },
  {
    input: { type: 'INDIVIDUAL', firstName: 'James', lastName: 'Whitaker', primaryEmail: 'james.whitaker@example.co.uk', primaryPhone: '+44 20 7946 0958', preferredLanguage: 'en-GB', billingAddress: { street: '10 Downing Street', city: 'London', zipCode: 'SW1A 2AA', country: 'GB' } },
    trips: [{ pnr: 'L4W8NB', ticketNumber: '0752555000111', flightNumber: 'IB3170', origin: 'MAD', destination: 'LHR', days: 0, hours: 2.5, cabin: 'ECONOMY', status: 'BOOKED' }],
    tier: 'ORO',
    lounge: { loungeCode: 'MAD-DALI', flightNumber: 'IB3170', guests: 0 },
    interactions: [{ channel: 'EMAIL', direction: 'OUTBOUND', subject: 'Your lounge invitation', summary: 'Sent the Dalí lounge invitation for today.' }],
  },
  {
    input: { type: 'INDIVIDUAL', firstName: 'Carmen', lastName: 'Ruiz', primaryEmail: 'carmen.ruiz@example.es', primaryPhone: '+34 699 111 222', preferredLanguage: 'es' },
    tier: 'INFINITA',
    lounge: { loungeCode: 'MAD-GOYA', flightNumber: 'IB6841', guests: 1 },
  },
  {
    input: { type: 'INDIVIDUAL', firstName: 'Marco', lastName: 'Bianchi', primaryEmail: 'marco.bianchi@example.it', preferredLanguage: 'it' },
    tier: 'PLATA',
    cases: [{ subject: 'Flight IB3250 cancelled', description: 'Cancelled two days before departure, asking about EU 261 compensation.', category: 'FLIGHT_DISRUPTION', priority: 'MEDIUM' }],
  },
  {
    input: { type: 'INDIVIDUAL', firstName: 'Ana', lastName: 'Souza', primaryEmail: 'ana.souza@example.com.br', preferredLanguage: 'pt-BR' },
    tier: 'CLASICA',
    interactions: [{ channel: 'CHAT', direction: 'INBOUND', summary: 'Asked how to join Club Iberia Plus and earn Avios.' }],
  },
  {
    input: { type: 'ENTERPRISE', companyName: 'Inditex Viajes Corporativos', industry: 'Retail', website: 'https://www.inditex.example.com', primaryEmail: 'travel@inditex.example.com', primaryPhone: '+34 981 185 400', billingAddress: { street: 'Avenida de la Diputación', city: 'Arteixo', state: 'A Coruña', zipCode: '15142', country: 'ES' } },
    contacts: [
      { firstName: 'Marta', lastName: 'Vázquez', email: 'marta.vazquez@inditex.example.com', phone: '+34 981 185 401', jobTitle: 'Travel manager', tags: ['travel-manager', 'billing'] },
      { firstName: 'Pablo', lastName: 'Iglesias', email: 'pablo.iglesias@inditex.example.com', jobTitle: 'Executive assistant', tags: ['bookings'] },
    ],
    cases: [{ subject: 'Corporate fare invoice correction', description: 'The March invoice lists the wrong cost centre for twelve tickets.', category: 'REFUND', priority: 'LOW' }],
  },
  {
    input: { type: 'SMALL_BUSINESS', companyName: 'Viajes Sol y Mar SL', primaryEmail: 'reservas@solymar.example.es', preferredLanguage: 'es' },
  },
  {
    input: { type: 'GOVERNMENT', companyName: 'Ministerio de Ejemplo', primaryEmail: 'viajes@ministerio.example.es' },
    interactions: [{ channel: 'MEETING', direction: 'OUTBOUND', subject: 'Annual travel agreement', summary: 'Quarterly review of the government travel agreement.' }],
  },
];

type Graphql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

export function graphqlClient(url: string, token: string): Graphql {
  return async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) {
      throw new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    }
    return body.data as T;
  };
}

export async function seedDemoData(graphql: Graphql, now = new Date()): Promise<SeedSummary> {
  const summary: SeedSummary = { customers: 0, loyaltyAccounts: 0, cases: 0, invitations: 0, interactions: 0, loungeDevices: 0, caseQueues: 0, contacts: 0, purchases: 0, trips: 0 };
  // Case routing: the development tokens' subjects are the agents, so `pnpm token --role SupportAgent` sees a work list.
  for (const [id, name, capacity] of [['dev:supportagent', 'Support agent (development)', 25], ['dev:customeraffairsexecutive', 'Customer affairs (development)', 15]] as const) {
    await graphql('mutation($input: DefineAgentInput!) { defineAgent(input: $input) { id } }', { input: { id, name, capacity } });
  }
  for (const [code, name, strategy, agentIds] of [
    ['CUSTOMER-AFFAIRS', 'Customer affairs: disruptions and refunds', 'LEAST_LOADED', ['dev:customeraffairsexecutive']],
    ['SUPPORT', 'Everything else', 'ROUND_ROBIN', ['dev:supportagent']],
  ] as const) {
    await graphql('mutation($input: DefineQueueInput!) { defineQueue(input: $input) { code } }', { input: { code, name, strategy, agentIds } });
    summary.caseQueues++;
  }
  await graphql('mutation($rules: [RoutingRuleInput!]!) { setRoutingRules(rules: $rules) { position } }', {
    rules: [
      { queueCode: 'CUSTOMER-AFFAIRS', category: 'FLIGHT_DISRUPTION' },
      { queueCode: 'CUSTOMER-AFFAIRS', category: 'DENIED_BOARDING' },
      { queueCode: 'CUSTOMER-AFFAIRS', category: 'REFUND' },
      { queueCode: 'SUPPORT' },
    ],
  });
  // One door scanner per Madrid lounge, under the subject `pnpm token --role LoungeDevice --lounge <code>` signs.
  for (const [code, name] of [['MAD-VELAZQUEZ', 'Velázquez main door'], ['MAD-DALI', 'Dalí main door'], ['MAD-GOYA', 'Goya main door']] as const) {
    await graphql('mutation($input: RegisterLoungeDeviceInput!) { registerLoungeDevice(input: $input) { id } }', {
      input: { id: `dev:loungedevice:${code.toLowerCase()}`, loungeCode: code, name: `${name} (development scanner)` },
    });
    summary.loungeDevices++;
  }
  for (const demo of DEMO) {
    const { createCustomer } = await graphql<{ createCustomer: { id: string } }>(
      'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
      { input: demo.input },
    );
    const customerId = createCustomer.id;
    summary.customers++;
    if (demo.tier) {
      await graphql('mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { id } }', {
        input: { customerId, tier: demo.tier },
      });
      summary.loyaltyAccounts++;
    }
    for (const c of demo.cases ?? []) {
      await graphql('mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', { input: { customerId, ...c } });
      summary.cases++;
    }
    if (demo.lounge) {
      const validFrom = new Date(now.getTime() - 60 * 60_000).toISOString();
      const validUntil = new Date(now.getTime() + 12 * 60 * 60_000).toISOString();
      await graphql('mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id } }', {
        input: { customerId, validFrom, validUntil, ...demo.lounge },
      });
      summary.invitations++;
    }
    if (demo.preferences) {
      await graphql('mutation($id: ID!, $input: CustomerPreferencesInput!) { updateCustomerPreferences(customerId: $id, input: $input) { seat } }', {
        id: customerId,
        input: demo.preferences,
      });
    }
    for (const c of demo.consents ?? []) {
      await graphql('mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }', { input: { customerId, ...c } });
    }
    for (const c of demo.contacts ?? []) {
      await graphql('mutation($id: ID!, $input: ContactInput!) { addContact(customerId: $id, input: $input) { id } }', { id: customerId, input: c });
      summary.contacts++;
    }
    for (const [n, p] of (demo.purchases ?? []).entries()) {
      await graphql('mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }', {
        input: { customerId, purchasedAt: daysFrom(now, -10 + n), ...p },
      });
      summary.purchases++;
    }
    for (const { days, hours, ...trip } of demo.trips ?? []) {
      const departure = daysFrom(now, days as number, 9);
      await graphql('mutation($input: RecordTripInput!) { recordTrip(input: $input) { id } }', {
        input: {
          customerId,
          scheduledDeparture: departure,
          scheduledArrival: new Date(Date.parse(departure) + (hours as number) * 3_600_000).toISOString(),
          ...trip,
        },
      });
      summary.trips++;
    }
    for (const i of demo.interactions ?? []) {
      await graphql('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
        input: { customerId, ...i },
      });
      summary.interactions++;
    }
  }
  return summary;
}
