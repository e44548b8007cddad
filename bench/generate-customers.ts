/**
 * Fills the bench database's customer schema with N realistic customers for the search benchmark.
 *
 *   pnpm bench:customers:generate                         # 1,000,000 customers into cmp_bench
 *   BENCH_CUSTOMERS=200000 pnpm bench:customers:generate
 *   pnpm bench:customers:generate --reset                 # empties customer.customers first
 *
 * Idempotent: it counts the customers it generated before and only adds the missing ones. Rows are written
 * set-based (INSERT ... SELECT over generate_series, 100,000 per statement) straight into `customer.customers`:
 * Spanish and English people (Spanish ones with two family names, common names far more often than rare ones),
 * companies of every other type, unique e-mails, customer numbers drawn from `customer.customer_number_seq` so
 * customers created later through the API continue the series, mixed segments and statuses, about 2% deactivated.
 */
import { performance } from 'node:perf_hooks';
import { openDatabase, prepareDatabase } from '@cmp/platform';
import { customerSubgraph } from '@cmp/subgraph-customer';
import postgres from 'postgres';
import { databaseUrl, ensureDatabase } from './support.ts';

const target = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const reset = process.argv.includes('--reset');
const BATCH = 100_000;
const GENERATOR = 'bench:generate';

// Ordered from most to least common: the generator picks low indexes far more often (see `skewed`).
const SPANISH_FIRST = [
  'María', 'José', 'Antonio', 'Carmen', 'Manuel', 'Ana', 'Francisco', 'Laura', 'David', 'Isabel', 'Juan', 'Lucía',
  'Javier', 'Cristina', 'Daniel', 'Marta', 'Carlos', 'Elena', 'Miguel', 'Pilar', 'Alejandro', 'Paula', 'Rafael',
  'Sara', 'Pablo', 'Raquel', 'Sergio', 'Rosa', 'Fernando', 'Beatriz', 'Jorge', 'Silvia', 'Luis', 'Nuria', 'Alberto',
  'Irene', 'Álvaro', 'Patricia', 'Adrián', 'Mercedes', 'Diego', 'Andrea', 'Raúl', 'Rocío', 'Iván', 'Julia', 'Rubén',
  'Sofía', 'Óscar', 'Inés', 'Andrés', 'Alba', 'Ramón', 'Noelia', 'Enrique', 'Verónica', 'Vicente', 'Ángela', 'Joaquín',
  'Begoña', 'Íñigo', 'Montserrat', 'Jesús', 'Araceli', 'Gonzalo', 'Lorena', 'Víctor', 'Eva', 'Tomás', 'Nerea',
];
const ENGLISH_FIRST = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David',
  'Susan', 'Richard', 'Jessica', 'Joseph', 'Sarah', 'Thomas', 'Karen', 'Charles', 'Emily', 'Christopher', 'Emma',
  'Daniel', 'Olivia', 'Matthew', 'Sophie', 'Andrew', 'Charlotte', 'Oliver', 'Amelia', 'George', 'Grace', 'Harry',
  'Chloe', 'Jack', 'Hannah', 'Edward', 'Lucy', 'Henry', 'Alice', 'Samuel', 'Rachel', 'Benjamin', 'Megan',
];
const SPANISH_LAST = [
  'García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín',
  'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Alonso', 'Gutiérrez', 'Navarro',
  'Torres', 'Domínguez', 'Vázquez', 'Ramos', 'Gil', 'Ramírez', 'Serrano', 'Blanco', 'Molina', 'Morales', 'Suárez',
  'Ortega', 'Delgado', 'Castro', 'Ortiz', 'Rubio', 'Marín', 'Sanz', 'Núñez', 'Iglesias', 'Medina', 'Garrido',
  'Cortés', 'Castillo', 'Santos', 'Lozano', 'Guerrero', 'Cano', 'Prieto', 'Méndez', 'Cruz', 'Calvo', 'Gallego',
  'Vidal', 'León', 'Márquez', 'Herrera', 'Peña', 'Flores', 'Cabrera', 'Campos', 'Vega', 'Fuentes', 'Carrasco',
  'Diez', 'Caballero', 'Reyes', 'Nieto', 'Aguilar', 'Pascual', 'Santana', 'Herrero', 'Lorenzo', 'Montero', 'Hidalgo',
  'Giménez', 'Ibáñez', 'Ferrer', 'Durán', 'Santiago', 'Benítez', 'Mora', 'Vicente', 'Vargas', 'Arias', 'Carmona',
  'Crespo', 'Román', 'Pastor', 'Soto', 'Sáez', 'Velasco', 'Moya', 'Soler', 'Parra', 'Esteban', 'Bravo', 'Gallardo',
  'Rojas', 'Echeverría', 'Goikoetxea', 'Urquijo', 'Arrieta', 'Zubizarreta', 'Oyarzábal', 'Etxeberria',
];
const ENGLISH_LAST = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts',
  'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris',
  'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark',
  'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker',
  'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins',
  'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams',
  'Fitzgerald', "O'Brien", 'MacDonald', 'Sutherland', 'Fletcher', 'Gallagher', 'Lancaster', 'Whitfield', 'Ashworth',
];
const COMPANY_FIRST = [
  'Viajes', 'Grupo', 'Transportes', 'Construcciones', 'Industrias', 'Hoteles', 'Servicios', 'Consultores',
  'Distribuciones', 'Inversiones', 'Global', 'Atlantic', 'Northern', 'Iberian', 'Royal', 'Pacific', 'United',
  'Fundación', 'Asociación', 'Ayuntamiento de', 'Universidad de', 'Clínica', 'Bodegas', 'Talleres', 'Logística',
];
const COMPANY_SECOND = [
  'Ibéricos', 'Mediterráneo', 'del Norte', 'Castellana', 'Andaluza', 'Levante', 'Cantábrico', 'Atlántico', 'Peninsular',
  'Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Bilbao', 'Málaga', 'Zaragoza', 'Logistics', 'Holdings', 'Systems',
  'Partners', 'Travel', 'Energy', 'Pharma', 'Foods', 'Capital', 'Solutions', 'Aerospace', 'Motors', 'Médica',
  'Solidaria', 'Cultural', 'Deportiva', 'Tecnológica', 'Innovación', 'Marítima', 'Agrícola',
];
const COMPANY_SUFFIX = ['SL', 'SA', 'SLU', 'SCoop', 'Ltd', 'PLC', 'Inc', 'GmbH', ''];
const PERSONAL_DOMAINS = ['gmail.com', 'hotmail.com', 'yahoo.es', 'outlook.es', 'icloud.com', 'telefonica.net', 'gmail.es', 'btinternet.com', 'proton.me'];
const COMPANY_DOMAINS = ['empresa.es', 'corp.example.com', 'group.example.com', 'grupo.example.es', 'org.example.org', 'gob.example.es'];

async function migrate(): Promise<void> {
  const handle = await openDatabase({ schema: customerSubgraph.name, url: databaseUrl, poolSize: 1 });
  try {
    await prepareDatabase(customerSubgraph, handle);
  } finally {
    await handle.close();
  }
}

await ensureDatabase(databaseUrl);
await migrate();
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const started = performance.now();

if (reset) {
  await sql`truncate customer.customers`;
  console.log('customer.customers emptied (--reset)');
}
const { existing } = (await sql<{ existing: number }[]>`select count(*)::int as existing from customer.customers where created_by = ${GENERATOR}`)[0]!;
const missing = Math.max(0, target - existing);
console.log(`${existing.toLocaleString('en')} generated customers present, adding ${missing.toLocaleString('en')} (target ${target.toLocaleString('en')})`);

// A text[] parameter, and a pick from it: `skewed` favours the first (most common) entries, as real names do.
const list = (values: string[]) => sql.array(values);
for (let done = 0; done < missing; done += BATCH) {
  const count = Math.min(BATCH, missing - done);
  const batchStarted = performance.now();
  await sql.begin(async (tx) => {
    // Reserve a block of the sequence first, so a customer created through the API meanwhile never collides.
    const { first } = (await tx<{ first: string }[]>`
      select (setval('customer.customer_number_seq', nextval('customer.customer_number_seq') + ${count - 1}) - ${count - 1})::text as first`)[0]!;
    await tx`
      with draws as (
        select n,
               ${Number(first)}::bigint + n - 1 as seq,
               random() as r_type, random() as r_lang, random() as r_first, random() as r_last1, random() as r_last2,
               random() as r_middle, random() as r_company1, random() as r_company2, random() as r_suffix, random() as r_domain,
               random() as r_value, random() as r_status, random() as r_deactivated, random() as r_created
        from generate_series(1, ${count}) as n
      ), people as (
        select d.*,
               case when r_type < 0.85 then 'INDIVIDUAL' when r_type < 0.93 then 'SMALL_BUSINESS' when r_type < 0.97 then 'ENTERPRISE'
                    when r_type < 0.99 then 'NON_PROFIT' else 'GOVERNMENT' end as type,
               r_lang < 0.7 as spanish
        from draws d
      ), named as (
        select p.*,
               case when type <> 'INDIVIDUAL' then null
                    when spanish then (${list(SPANISH_FIRST)}::text[])[1 + floor(power(r_first, 1.6) * ${SPANISH_FIRST.length})::int]
                    else (${list(ENGLISH_FIRST)}::text[])[1 + floor(power(r_first, 1.6) * ${ENGLISH_FIRST.length})::int] end as first_name,
               case when type = 'INDIVIDUAL' and not spanish and r_middle < 0.3
                    then (${list(ENGLISH_FIRST)}::text[])[1 + floor(r_middle / 0.3 * ${ENGLISH_FIRST.length})::int] end as middle_name,
               case when type <> 'INDIVIDUAL' then null
                    when spanish then (${list(SPANISH_LAST)}::text[])[1 + floor(power(r_last1, 2) * ${SPANISH_LAST.length})::int]
                                      || ' ' || (${list(SPANISH_LAST)}::text[])[1 + floor(power(r_last2, 2) * ${SPANISH_LAST.length})::int]
                    else (${list(ENGLISH_LAST)}::text[])[1 + floor(power(r_last1, 2) * ${ENGLISH_LAST.length})::int] end as last_name,
               case when type = 'INDIVIDUAL' then null
                    else trim((${list(COMPANY_FIRST)}::text[])[1 + floor(r_company1 * ${COMPANY_FIRST.length})::int]
                         || ' ' || (${list(COMPANY_SECOND)}::text[])[1 + floor(r_company2 * ${COMPANY_SECOND.length})::int]
                         || ' ' || (${list(COMPANY_SUFFIX)}::text[])[1 + floor(r_suffix * ${COMPANY_SUFFIX.length})::int]) end as company_name
        from people p
      ), valued as (
        select nm.*,
               -- Most customers spend little, a few a lot: up to EUR 80,000, about a fifth Premium and 5% VIP.
               floor(power(r_value, 10) * 8000000)::bigint as lifetime_value_minor
        from named nm
      )
      insert into customer.customers (
        customer_number, type, status, segment, lifetime_value_minor, company_name, first_name, middle_name, last_name,
        primary_email, preferred_language, created_by, created_at, updated_at, deactivated_at, deactivated_by, deactivation_reason
      )
      select 'CUS-' || case when seq < 1000000 then lpad(seq::text, 6, '0') else seq::text end,
             type,
             case when r_status < 0.88 then 'ACTIVE' when r_status < 0.94 then 'INACTIVE' when r_status < 0.97 then 'SUSPENDED' else 'ARCHIVED' end,
             case when type = 'ENTERPRISE' then 'CORPORATE' when lifetime_value_minor > 5000000 then 'VIP'
                  when lifetime_value_minor > 1000000 then 'PREMIUM' else 'STANDARD' end,
             lifetime_value_minor,
             company_name, first_name, middle_name, last_name,
             -- Unique by the sequence number; accents and spaces dropped as mail providers would.
             translate(lower(coalesce(first_name || '.' || split_part(last_name, ' ', 1), regexp_replace(company_name, '[^A-Za-zÁÉÍÓÚÑáéíóúñü]+', '', 'g'))),
                       'áéíóúüñ''', 'aeiouun')
               || '.' || seq || '@'
               || case when type = 'INDIVIDUAL' then (${list(PERSONAL_DOMAINS)}::text[])[1 + floor(r_domain * ${PERSONAL_DOMAINS.length})::int]
                       else (${list(COMPANY_DOMAINS)}::text[])[1 + floor(r_domain * ${COMPANY_DOMAINS.length})::int] end,
             case when spanish then 'es' else 'en' end,
             ${GENERATOR},
             now() - r_created * interval '8 years',
             now() - r_created * interval '1 year',
             case when r_deactivated < 0.02 then now() - r_deactivated * interval '10 years' end,
             case when r_deactivated < 0.02 then ${GENERATOR} end,
             case when r_deactivated < 0.02 then 'Duplicate or closed account (generated)' end
      from valued`;
  });
  console.log(`  ${(done + count).toLocaleString('en')} / ${missing.toLocaleString('en')} in ${((performance.now() - batchStarted) / 1000).toFixed(1)} s`);
}

// Fresh statistics for the planner and a visibility map for index-only scans.
const vacuumStarted = performance.now();
await sql`vacuum (analyze) customer.customers`;
const { live, deactivated, bytes } = (await sql<{ live: number; deactivated: number; bytes: string }[]>`
  select count(*) filter (where deactivated_at is null)::int as live, count(*) filter (where deactivated_at is not null)::int as deactivated,
         pg_size_pretty(pg_total_relation_size('customer.customers')) as bytes
  from customer.customers`)[0]!;
console.log(`vacuum analyze ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`);
console.log(
  `done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${live.toLocaleString('en')} live and ${deactivated.toLocaleString('en')} deactivated customers, table and indexes ${bytes}`,
);
await sql.end();
