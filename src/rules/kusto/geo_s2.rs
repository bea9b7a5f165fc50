//! S2 cells, as Kusto's `geo_*s2cell*` functions name them: the sphere is
//! projected onto a cube's six faces, each face is cut into quarters
//! thirty times over along a Hilbert curve, and a cell is its face and
//! position on that curve, written as hexadecimal with the trailing zeros
//! dropped (its token).

use serde_json::{Value as Json, json};

use super::geo::{EARTH_RADIUS_M, Vec3, cross, dot, in_ring, number, point, unit};
use super::geo_arcs::{Polygon, angle, arc_distance, normalized, plus, polygons};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_point_to_s2cell", 2, 3),
    ("geo_s2cell_to_central_point", 1, 1),
    ("geo_s2cell_to_polygon", 1, 1),
    ("geo_s2cell_neighbors", 1, 1),
    ("geo_polygon_to_s2cells", 1, 3),
];

const MAX_LEVEL: u32 = 30;
/// Leaf cells along one edge of a face.
const MAX_SIZE: i64 = 1 << MAX_LEVEL;
const DEFAULT_LEVEL: u32 = 11;

/// Hilbert curve orientations: a sub-square's axes may be swapped, and
/// its direction inverted, relative to its parent's.
const SWAP: u8 = 1;
const INVERT: u8 = 2;

/// The position (0..4) along the curve of each sub-square, by orientation
/// and by (i bit, j bit), and the reverse.
const IJ_TO_POS: [[u8; 4]; 4] = [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]];
const POS_TO_IJ: [[u8; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
/// How a sub-square's orientation differs from its parent's, by position.
const POS_TO_ORIENTATION: [u8; 4] = [SWAP, 0, 0, SWAP | INVERT];

/// The cells around one, as steps along its face's (i, j) axes, in the
/// order Kusto lists them: `geo_s2cell_neighbors('89c259')` gives 89c25d,
/// 89c2f9, 89c251, 89c257, 89c25f, 89c25b, 89c2f7, 89c2f5.
const AROUND: [(i64, i64); 8] = [
    (1, 1),
    (-1, -1),
    (1, -1),
    (0, -1),
    (0, 1),
    (1, 0),
    (-1, 0),
    (-1, 1),
];

/// A cell: a 64-bit id whose lowest set bit marks its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cell(u64);

impl Cell {
    fn lsb_at(level: u32) -> u64 {
        1 << (2 * (MAX_LEVEL - level))
    }

    fn level(self) -> u32 {
        MAX_LEVEL - self.0.trailing_zeros() / 2
    }

    fn face(self) -> u8 {
        (self.0 >> 61) as u8
    }

    /// The leaf cell at (i, j) of a face.
    fn leaf(face: u8, i: i64, j: i64) -> Cell {
        let mut orientation = face & SWAP;
        let mut pos: u64 = 0;
        for k in (0..MAX_LEVEL).rev() {
            let ij = ((((i >> k) & 1) << 1) | ((j >> k) & 1)) as usize;
            let p = IJ_TO_POS[orientation as usize][ij];
            pos = (pos << 2) | u64::from(p);
            orientation ^= POS_TO_ORIENTATION[p as usize];
        }
        Cell((u64::from(face) << 61) | (pos << 1) | 1)
    }

    fn parent(self, level: u32) -> Cell {
        let lsb = Cell::lsb_at(level);
        Cell((self.0 & lsb.wrapping_neg()) | lsb)
    }

    /// The face and the (i, j) of the cell's lowest leaf corner.
    fn face_ij(self) -> (u8, i64, i64) {
        let face = self.face();
        let mut orientation = face & SWAP;
        let (mut i, mut j) = (0i64, 0i64);
        let pos = self.0 >> 1;
        for k in (0..MAX_LEVEL).rev() {
            let p = ((pos >> (2 * k)) & 3) as usize;
            let ij = POS_TO_IJ[orientation as usize][p];
            i = (i << 1) | i64::from(ij >> 1);
            j = (j << 1) | i64::from(ij & 1);
            orientation ^= POS_TO_ORIENTATION[p];
        }
        let size = self.size();
        (face, i & !(size - 1), j & !(size - 1))
    }

    fn children(self) -> [Cell; 4] {
        let quarter = (self.0 & self.0.wrapping_neg()) >> 2;
        let first = self.0 - 3 * quarter;
        [0, 1, 2, 3].map(|k| Cell(first + 2 * k * quarter))
    }

    /// Every cell of a deeper level within this one, in id order.
    fn descendants(self, level: u32) -> impl Iterator<Item = Cell> {
        let lsb = Cell::lsb_at(level);
        let own = self.0 & self.0.wrapping_neg();
        let (first, last) = (self.0 - own + lsb, self.0 + own - lsb);
        (0..=(last - first) / (2 * lsb)).map(move |k| Cell(first + 2 * k * lsb))
    }

    /// Leaf cells along one edge.
    fn size(self) -> i64 {
        1 << (MAX_LEVEL - self.level())
    }

    fn token(self) -> String {
        let hex = format!("{:016x}", self.0);
        let kept = hex.trim_end_matches('0');
        if kept.is_empty() {
            "X".into()
        } else {
            kept.into()
        }
    }

    fn from_token(token: &str) -> Option<Cell> {
        if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let id = u64::from_str_radix(token, 16).ok()? << (4 * (16 - token.len()));
        // A valid id names a face 0..6 and has its marker bit at an even
        // place.
        let valid = id != 0 && (id >> 61) < 6 && id.trailing_zeros() % 2 == 0;
        valid.then_some(Cell(id))
    }

    /// The corners, counter-clockwise from the lowest (u, v), and the
    /// centre, as unit vectors.
    fn corners(self) -> [Vec3; 4] {
        let (face, i, j) = self.face_ij();
        let size = self.size();
        let u = |i: i64| st_to_uv(i as f64 / MAX_SIZE as f64);
        let (u0, u1, v0, v1) = (u(i), u(i + size), u(j), u(j + size));
        [
            face_uv_to_unit(face, u0, v0),
            face_uv_to_unit(face, u1, v0),
            face_uv_to_unit(face, u1, v1),
            face_uv_to_unit(face, u0, v1),
        ]
    }

    fn centre(self) -> Vec3 {
        let (face, i, j) = self.face_ij();
        let half = self.size() as f64 / 2.0;
        let st = |i: i64| (i as f64 + half) / MAX_SIZE as f64;
        face_uv_to_unit(face, st_to_uv(st(i)), st_to_uv(st(j)))
    }

    /// The eight cells around one at its level: those across each edge
    /// and each corner, crossing onto the next face where the cell is at
    /// its face's edge.
    fn neighbours(self) -> Vec<Cell> {
        let level = self.level();
        let (face, i, j) = self.face_ij();
        let size = self.size();
        let mut out = Vec::with_capacity(8);
        for (di, dj) in AROUND {
            let cell = wrapped(face, i + di * size, j + dj * size).parent(level);
            if cell != self && !out.contains(&cell) {
                out.push(cell);
            }
        }
        out
    }
}

/// The leaf cell at (i, j) of a face, where (i, j) may lie just past the
/// face's edge: the point is carried onto the face it is on.
fn wrapped(face: u8, i: i64, j: i64) -> Cell {
    if (0..MAX_SIZE).contains(&i) && (0..MAX_SIZE).contains(&j) {
        return Cell::leaf(face, i, j);
    }
    let (i, j) = (i.clamp(-1, MAX_SIZE), j.clamp(-1, MAX_SIZE));
    // Leaf centres a cell past the edge, in (u, v) taken linearly: so
    // near the edge, the projection does not matter.
    let limit = 1.0 + f64::EPSILON;
    let uv =
        |i: i64| (((2 * (i - MAX_SIZE / 2) + 1) as f64) / MAX_SIZE as f64).clamp(-limit, limit);
    let p = face_uv_to_xyz(face, uv(i), uv(j));
    let (face, u, v) = xyz_to_face_uv(p);
    let ij = |u: f64| ((0.5 * (u + 1.0) * MAX_SIZE as f64).floor() as i64).clamp(0, MAX_SIZE - 1);
    Cell::leaf(face, ij(u), ij(v))
}

/// The cube face a direction points through, and where on it.
fn xyz_to_face_uv(p: Vec3) -> (u8, f64, f64) {
    let [x, y, z] = p;
    let (ax, ay, az) = (x.abs(), y.abs(), z.abs());
    let axis = if ax >= ay && ax >= az {
        0
    } else if ay >= az {
        1
    } else {
        2
    };
    let face = if p[axis] < 0.0 { axis + 3 } else { axis } as u8;
    let (u, v) = match face {
        0 => (y / x, z / x),
        1 => (-x / y, z / y),
        2 => (-x / z, -y / z),
        3 => (z / x, y / x),
        4 => (z / y, -x / y),
        _ => (-y / z, -x / z),
    };
    (face, u, v)
}

/// The unit vector through (u, v) of a face.
fn face_uv_to_unit(face: u8, u: f64, v: f64) -> Vec3 {
    let p = face_uv_to_xyz(face, u, v);
    let n = dot(p, p).sqrt();
    [p[0] / n, p[1] / n, p[2] / n]
}

fn face_uv_to_xyz(face: u8, u: f64, v: f64) -> Vec3 {
    match face {
        0 => [1.0, u, v],
        1 => [-u, 1.0, v],
        2 => [-u, -v, 1.0],
        3 => [-1.0, -v, -u],
        4 => [v, -1.0, -u],
        _ => [v, u, -1.0],
    }
}

/// S2's quadratic projection, which keeps cells of one level close in
/// area across a face.
fn uv_to_st(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + 3.0 * u).sqrt()
    } else {
        1.0 - 0.5 * (1.0 - 3.0 * u).sqrt()
    }
}

fn st_to_uv(s: f64) -> f64 {
    if s >= 0.5 {
        (4.0 * s * s - 1.0) / 3.0
    } else {
        (1.0 - 4.0 * (1.0 - s) * (1.0 - s)) / 3.0
    }
}

/// Kusto's limit on a covering's cells.
const MAX_COVERING: usize = 65_536;

/// A polygon's rings as unit vectors, each closed.
struct Rings(Vec<Vec<Vec3>>);

impl Rings {
    fn of(polygons: &[Polygon]) -> Vec<Rings> {
        polygons
            .iter()
            .map(|p| {
                Rings(
                    p.iter()
                        .map(|r| r.iter().map(|c| unit(*c)).collect())
                        .collect(),
                )
            })
            .collect()
    }

    fn contains(&self, p: Vec3) -> bool {
        let mut rings = self.0.iter();
        rings.next().is_some_and(|outer| in_ring(p, outer)) && !rings.any(|hole| in_ring(p, hole))
    }

    fn edges(&self) -> impl Iterator<Item = (Vec3, Vec3)> + '_ {
        self.0
            .iter()
            .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
    }
}

/// Whether arcs `a`-`b` and `c`-`d` (each shorter than a half circle)
/// cross or touch: each arc's ends lie on opposite sides of, or on, the
/// other's great circle, on the same side of the sphere.
fn arcs_touch(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> bool {
    // The sides are sines of angles off each great circle, so the slack
    // for touching is the same for short arcs and long ones.
    const EPS: f64 = 1e-24;
    let (Some(ab), Some(cd)) = (normalized(cross(a, b)), normalized(cross(c, d))) else {
        return false;
    };
    let (acb, bda) = (-dot(ab, c), dot(ab, d));
    if acb * bda < -EPS {
        return false;
    }
    let (cbd, dac) = (-dot(cd, b), dot(cd, a));
    if cbd * dac < -EPS {
        return false;
    }
    // Both tests pass for the antipodal pair of arcs too.
    dot(plus(a, b), plus(c, d)) > 0.0
}

/// How a cell lies against a polygon, its corners counter-clockwise;
/// against several, the most it does against any.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Overlap {
    Apart,
    Partly,
    Within,
}

fn overlap(corners: &[Vec3; 4], rings: &Rings, radius_m: f64, cell: Cell) -> Overlap {
    let sides: Vec<(Vec3, Vec3)> = (0..4).map(|k| (corners[k], corners[(k + 1) % 4])).collect();
    let in_cell = |p: Vec3| sides.iter().all(|(a, b)| dot(cross(*a, *b), p) >= -1e-15);
    let crossed = rings
        .edges()
        .any(|(p, q)| sides.iter().any(|(a, b)| arcs_touch(*a, *b, p, q)));
    let vertex_inside = rings.0.iter().flatten().any(|p| in_cell(*p));
    let corners_in = corners.iter().filter(|c| rings.contains(**c)).count();
    if corners_in == 4 && !crossed && !vertex_inside {
        return Overlap::Within;
    }
    if crossed || vertex_inside || corners_in > 0 {
        return Overlap::Partly;
    }
    if radius_m > 0.0 {
        // Within the buffer when the cell's centre is within the radius
        // and the cell's own reach of the boundary: a covering may hold
        // a cell more, never one less.
        let c = cell.centre();
        let reach = corners.iter().map(|k| angle(c, *k)).fold(0.0, f64::max) * EARTH_RADIUS_M;
        if rings
            .edges()
            .any(|(p, q)| arc_distance(c, p, q) <= radius_m + reach)
        {
            return Overlap::Partly;
        }
    }
    Overlap::Apart
}

/// The cells of one level that cover the polygons, in id order; `None`
/// past Kusto's limit.
fn covering(polygons: &[Polygon], level: u32, radius_m: f64) -> Option<Vec<Cell>> {
    let all = Rings::of(polygons);
    let mut out: Vec<Cell> = Vec::new();
    let mut frontier: Vec<Cell> = (0..6u64).map(|f| Cell((f << 61) | (1 << 60))).collect();
    for depth in 0..=level {
        let mut next = Vec::new();
        for cell in frontier {
            let corners = cell.corners();
            let most = all
                .iter()
                .map(|r| overlap(&corners, r, radius_m, cell))
                .max()
                .unwrap_or(Overlap::Apart);
            match most {
                Overlap::Apart => {}
                Overlap::Within => {
                    let n = 1usize.checked_shl(2 * (level - depth))?;
                    if out.len() + n > MAX_COVERING {
                        return None;
                    }
                    out.extend(cell.descendants(level));
                }
                Overlap::Partly if depth == level => out.push(cell),
                Overlap::Partly => next.extend(cell.children()),
            }
            if out.len() + next.len() / 4 > MAX_COVERING {
                return None;
            }
        }
        frontier = next;
    }
    out.sort();
    out.dedup();
    Some(out)
}

fn cell_of(p: (f64, f64), level: u32) -> Cell {
    let (face, u, v) = xyz_to_face_uv(unit(p));
    let ij = |u: f64| ((uv_to_st(u) * MAX_SIZE as f64).floor() as i64).clamp(0, MAX_SIZE - 1);
    Cell::leaf(face, ij(u), ij(v)).parent(level)
}

/// (longitude, latitude) in degrees of a direction.
fn lon_lat(p: Vec3) -> (f64, f64) {
    let [x, y, z] = p;
    (y.atan2(x).to_degrees(), z.atan2(x.hypot(y)).to_degrees())
}

fn coordinates(p: Vec3) -> Json {
    let (lon, lat) = lon_lat(p);
    json!([number(lon), number(lat)])
}

fn level_of(v: &KV) -> Option<u32> {
    v.as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(MAX_LEVEL)).contains(n))
        .map(|n| n as u32)
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let cell = || Cell::from_token(&args.first()?.to_text());
    Some(match name {
        "geo_point_to_s2cell" => {
            let level = match args.get(2) {
                None => Some(DEFAULT_LEVEL),
                Some(v) => level_of(v),
            };
            match (point(args.first()?, args.get(1)?), level) {
                (Some(p), Some(level)) => KV::Str(cell_of(p, level).token()),
                _ => KV::Str(String::new()),
            }
        }
        "geo_s2cell_to_central_point" => match cell() {
            Some(c) => KV::Dyn(json!({"type": "Point", "coordinates": coordinates(c.centre())})),
            None => KV::Null,
        },
        "geo_s2cell_to_polygon" => match cell() {
            Some(c) => {
                let corners = c.corners();
                let ring: Vec<Json> = corners
                    .iter()
                    .chain(&corners[..1])
                    .map(|p| coordinates(*p))
                    .collect();
                KV::Dyn(json!({"type": "Polygon", "coordinates": [ring]}))
            }
            None => KV::Null,
        },
        "geo_polygon_to_s2cells" => {
            let level = match args.get(1) {
                None => Some(DEFAULT_LEVEL),
                Some(v) => level_of(v),
            };
            let radius = match args.get(2) {
                None => Some(0.0),
                Some(v) => v.as_f64().filter(|r| r.is_finite() && *r >= 0.0),
            };
            let shape = args.first()?.clone().parsed();
            let cells = match (shape.as_ref().and_then(polygons), level, radius) {
                (Some(p), Some(level), Some(radius)) => covering(&p, level, radius),
                _ => None,
            };
            match cells {
                Some(cells) => KV::Dyn(Json::Array(
                    cells.into_iter().map(|c| Json::String(c.token())).collect(),
                )),
                None => KV::Null,
            }
        }
        "geo_s2cell_neighbors" => match cell() {
            Some(c) => KV::Dyn(Json::Array(
                c.neighbours()
                    .into_iter()
                    .map(|n| Json::String(n.token()))
                    .collect(),
            )),
            None => KV::Null,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::geo::in_polygon;
    use super::*;

    #[test]
    fn tokens_match_the_documented_cells() {
        // Two points 16 km apart share a level-8 cell; a third does not.
        assert_eq!(cell_of((10.1234, 53.0), 8).token(), "47b1d");
        assert_eq!(cell_of((10.3579, 53.0), 8).token(), "47b1d");
        assert_eq!(cell_of((10.6842, 53.0), 8).token(), "47ae3");
        for level in 0..=MAX_LEVEL {
            let c = cell_of((-73.98, 40.76), level);
            assert_eq!(c.level(), level);
            assert_eq!(Cell::from_token(&c.token()), Some(c));
        }
    }

    #[test]
    fn the_documented_centre_comes_back() {
        let (lon, lat) = lon_lat(Cell::from_token("1234567").unwrap().centre());
        assert!((lon - 9.86830731850408).abs() < 1e-9, "{lon}");
        assert!((lat - 27.468392925827604).abs() < 1e-9, "{lat}");
        for bad in ["", "a", "zz", "12345678901234567", "c"] {
            assert_eq!(Cell::from_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_covering_holds_the_cell_of_every_point_inside_and_no_far_one() {
        let shape: Json = serde_json::from_str(
            r#"{"type":"Polygon","coordinates":[[[-73.9436,40.7827],[-73.9588,40.7582],
            [-73.9730,40.7643],[-73.9558,40.7879],[-73.9436,40.7827]]]}"#,
        )
        .unwrap();
        let p = polygons(&shape).unwrap();
        let cells = covering(&p, 16, 0.0).unwrap();
        assert!(cells.iter().all(|c| c.level() == 16));
        let mut inside = 0;
        for x in 0..40 {
            for y in 0..40 {
                let pt = (-73.975 + x as f64 * 0.0008, 40.756 + y as f64 * 0.0009);
                if in_polygon(pt, &shape) == Some(true) {
                    inside += 1;
                    assert!(cells.contains(&cell_of(pt, 16)), "{pt:?}");
                }
            }
        }
        assert!(inside > 100);
        // A kilometre east of the polygon: outside its covering, inside
        // that of the polygon with a 1.5 km buffer.
        let east = cell_of((-73.930, 40.775), 16);
        assert!(!cells.contains(&east));
        assert!(covering(&p, 16, 1500.0).unwrap().contains(&east));
        // Half a hemisphere at the finest level is past Kusto's limit.
        let huge = polygons(&serde_json::json!({"type": "Polygon",
            "coordinates": [[[0, 0], [0, 50], [100, 50], [0, 0]]]}))
        .unwrap();
        assert_eq!(covering(&huge, 30, 0.0), None);
        assert!(covering(&huge, 5, 0.0).is_some());
    }

    #[test]
    fn a_cell_at_a_face_edge_has_eight_neighbours_on_two_faces() {
        let c = Cell::leaf(0, 0, MAX_SIZE / 2).parent(10);
        let around = c.neighbours();
        assert_eq!(around.len(), 8);
        assert!(around.iter().any(|n| n.face() != 0));
        // Each is a neighbour of the cell again.
        for n in &around {
            assert!(n.neighbours().contains(&c), "{}", n.token());
        }
        let listed: Vec<String> = Cell::from_token("89c259")
            .unwrap()
            .neighbours()
            .iter()
            .map(|c| c.token())
            .collect();
        assert_eq!(
            listed,
            [
                "89c25d", "89c2f9", "89c251", "89c257", "89c25f", "89c25b", "89c2f7", "89c2f5"
            ]
        );
        // Past a face's corners lie the faces past its edges: four in all.
        assert_eq!(Cell::from_token("1").unwrap().neighbours().len(), 4);
    }
}
