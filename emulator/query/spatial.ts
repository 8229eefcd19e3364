/**
 * GeoJSON geography for the spatial built-ins (ST_DISTANCE, ST_WITHIN, ST_INTERSECTS, ST_ISVALID,
 * ST_ISVALIDDETAILED). As in Cosmos' default geography mode, positions are `[longitude, latitude]` in degrees
 * on a sphere; edges are great-circle arcs, distances are in metres. Supported types: Point, MultiPoint,
 * LineString, MultiLineString, Polygon (first ring the outline, the others holes) and MultiPolygon.
 */
import { isPlainObject } from "./values";

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS = 6_371_008.8;
const EPSILON = 1e-12;

type Vec = readonly [number, number, number];

/** A geometry as what the tests below need: its vertices, its edges, and its polygons (outline + holes). */
interface Shape {
  points: Vec[];
  edges: [Vec, Vec][];
  polygons: Vec[][][];
}

/** Why a value is not a valid GeoJSON geometry, or undefined when it is one. */
export function geometryProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return "The input is not a GeoJSON object.";
  const { type, coordinates } = value;
  const problem = (check: (c: unknown) => string | undefined) =>
    coordinates === undefined
      ? `The ${String(type)} input does not contain the 'coordinates' member.`
      : check(coordinates);
  switch (type) {
    case "Point":
      return problem(positionProblem);
    case "MultiPoint":
      return problem((c) => listProblem(c, 0, positionProblem, "MultiPoint"));
    case "LineString":
      return problem(lineProblem);
    case "MultiLineString":
      return problem((c) => listProblem(c, 0, lineProblem, "MultiLineString"));
    case "Polygon":
      return problem(polygonProblem);
    case "MultiPolygon":
      return problem((c) => listProblem(c, 0, polygonProblem, "MultiPolygon"));
    default:
      return `'${String(type)}' is not a supported GeoJSON geometry type.`;
  }
}

function positionProblem(c: unknown): string | undefined {
  if (!Array.isArray(c) || c.length < 2 || c.length > 3 || !c.every((n) => typeof n === "number")) {
    return `The position ${JSON.stringify(c)} is not an array of 2 or 3 numbers.`;
  }
  const [lon, lat] = c;
  if (lon < -180 || lon > 180) return `Longitude ${lon} is outside [-180, 180].`;
  if (lat < -90 || lat > 90) return `Latitude ${lat} is outside [-90, 90].`;
  return undefined;
}

function listProblem(c: unknown, min: number, item: (c: unknown) => string | undefined, what: string) {
  if (!Array.isArray(c) || c.length < min)
    return `The ${what} coordinates must be an array of at least ${min}.`;
  for (const entry of c) {
    const problem = item(entry);
    if (problem) return problem;
  }
  return undefined;
}

function lineProblem(c: unknown): string | undefined {
  return listProblem(c, 2, positionProblem, "LineString");
}

function polygonProblem(c: unknown): string | undefined {
  return listProblem(c, 1, ringProblem, "Polygon");
}

function ringProblem(c: unknown): string | undefined {
  const problem = listProblem(c, 4, positionProblem, "Polygon ring");
  if (problem) return problem;
  const ring = c as number[][];
  const [first, last] = [ring[0], ring[ring.length - 1]];
  if (first[0] !== last[0] || first[1] !== last[1])
    return "The Polygon ring is not closed (first and last positions differ).";
  return undefined;
}

function toVec([lon, lat]: number[]): Vec {
  const [λ, φ] = [(lon * Math.PI) / 180, (lat * Math.PI) / 180];
  return [Math.cos(φ) * Math.cos(λ), Math.cos(φ) * Math.sin(λ), Math.sin(φ)];
}

function toShape(value: unknown): Shape | undefined {
  if (geometryProblem(value) !== undefined) return undefined;
  const { type, coordinates } = value as { type: string; coordinates: unknown };
  const shape: Shape = { points: [], edges: [], polygons: [] };
  const addLine = (line: number[][]) => {
    const vs = line.map(toVec);
    shape.points.push(...vs);
    for (let i = 1; i < vs.length; i++) shape.edges.push([vs[i - 1], vs[i]]);
    return vs;
  };
  const addPolygon = (rings: number[][][]) => shape.polygons.push(rings.map(addLine));
  switch (type) {
    case "Point":
      shape.points.push(toVec(coordinates as number[]));
      break;
    case "MultiPoint":
      shape.points.push(...(coordinates as number[][]).map(toVec));
      break;
    case "LineString":
      addLine(coordinates as number[][]);
      break;
    case "MultiLineString":
      (coordinates as number[][][]).forEach(addLine);
      break;
    case "Polygon":
      addPolygon(coordinates as number[][][]);
      break;
    case "MultiPolygon":
      (coordinates as number[][][][]).forEach(addPolygon);
      break;
  }
  return shape;
}

const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec, b: Vec): Vec => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const norm = (a: Vec) => Math.sqrt(dot(a, a));
const scale = (a: Vec, k: number): Vec => [a[0] * k, a[1] * k, a[2] * k];
/** Central angle between two unit vectors, in radians (atan2 keeps small angles precise). */
const angle = (a: Vec, b: Vec) => Math.atan2(norm(cross(a, b)), dot(a, b));

/** Whether `x` lies on the minor arc from `a` to `b`. */
function onArc(x: Vec, a: Vec, b: Vec): boolean {
  return angle(a, x) + angle(x, b) - angle(a, b) < 1e-9;
}

function arcsCross([a, b]: [Vec, Vec], [c, d]: [Vec, Vec]): boolean {
  const line = cross(cross(a, b), cross(c, d));
  const length = norm(line);
  if (length < EPSILON) return false;
  const x = scale(line, 1 / length);
  return [x, scale(x, -1)].some((p) => onArc(p, a, b) && onArc(p, c, d));
}

/** `v` minus its component along unit vector `p`: its direction as seen on the tangent plane at `p`. */
function tangent(p: Vec, v: Vec): Vec {
  const k = dot(p, v);
  return [v[0] - p[0] * k, v[1] - p[1] * k, v[2] - p[2] * k];
}

/** Sum of the signed angles the ring's edges subtend at `p`: about ±2π when the ring winds around `p`. */
function insideRing(p: Vec, ring: Vec[]): boolean {
  let total = 0;
  for (let i = 1; i < ring.length; i++) {
    const [u, v] = [tangent(p, ring[i - 1]), tangent(p, ring[i])];
    total += Math.atan2(dot(p, cross(u, v)), dot(u, v));
  }
  return Math.abs(total) > Math.PI;
}

function insidePolygons(p: Vec, polygons: Vec[][][]): boolean {
  return polygons.some(
    ([outline, ...holes]) => insideRing(p, outline) && !holes.some((h) => insideRing(p, h)),
  );
}

/** Angular distance from `p` to the arc `a`-`b`. */
function arcDistance(p: Vec, [a, b]: [Vec, Vec]): number {
  const n = cross(a, b);
  const length = norm(n);
  if (length > EPSILON) {
    const unit = scale(n, 1 / length);
    const foot = tangent(unit, p);
    const footLength = norm(foot);
    if (footLength > EPSILON && onArc(scale(foot, 1 / footLength), a, b))
      return Math.asin(Math.min(1, Math.abs(dot(unit, p))));
  }
  return Math.min(angle(p, a), angle(p, b));
}

function intersects(a: Shape, b: Shape): boolean {
  if (a.points.some((p) => b.points.some((q) => angle(p, q) < 1e-12))) return true;
  if (a.points.some((p) => insidePolygons(p, b.polygons))) return true;
  if (b.points.some((p) => insidePolygons(p, a.polygons))) return true;
  if (a.points.some((p) => b.edges.some((e) => arcDistance(p, e) < 1e-12))) return true;
  if (b.points.some((p) => a.edges.some((e) => arcDistance(p, e) < 1e-12))) return true;
  return a.edges.some((e) => b.edges.some((f) => arcsCross(e, f)));
}

/** ST_DISTANCE: metres between the closest points of two geometries; 0 when they intersect. */
export function distance(x: unknown, y: unknown): number | undefined {
  const [a, b] = [toShape(x), toShape(y)];
  if (a === undefined || b === undefined) return undefined;
  if (intersects(a, b)) return 0;
  let best = Infinity;
  for (const p of a.points) {
    for (const q of b.points) best = Math.min(best, angle(p, q));
    for (const e of b.edges) best = Math.min(best, arcDistance(p, e));
  }
  for (const q of b.points) for (const e of a.edges) best = Math.min(best, arcDistance(q, e));
  return best * EARTH_RADIUS;
}

/** ST_WITHIN: every part of `x` lies inside the polygons of `y`. */
export function within(x: unknown, y: unknown): boolean | undefined {
  const [a, b] = [toShape(x), toShape(y)];
  if (a === undefined || b === undefined) return undefined;
  if (b.polygons.length === 0) return false;
  return (
    a.points.every((p) => insidePolygons(p, b.polygons)) &&
    !a.edges.some((e) => b.edges.some((f) => arcsCross(e, f)))
  );
}

/** ST_INTERSECTS: the geometries share at least one point. */
export function intersectsGeometry(x: unknown, y: unknown): boolean | undefined {
  const [a, b] = [toShape(x), toShape(y)];
  return a === undefined || b === undefined ? undefined : intersects(a, b);
}
