//! Kusto's geospatial functions that detections use: distances between
//! sign-in locations, bearings, circles and polygons, and geohash cells.
//! Coordinates are WGS-84 degrees (longitude first, as Kusto takes them);
//! distances are measured on a sphere of Kusto's radius, and polygon edges
//! are great-circle arcs, as Kusto draws them. Invalid coordinates give
//! null, never an error, so one bad row does not stop a query.

use serde_json::{Value as Json, json};

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_distance_2points", 4, 5),
    ("geo_point_in_circle", 5, 5),
    ("geo_azimuth", 4, 4),
    ("geo_angle", 6, 6),
    ("geo_point_in_polygon", 3, 3),
    ("geo_point_to_geohash", 2, 3),
    ("geo_geohash_to_central_point", 1, 1),
    ("geo_geohash_to_polygon", 1, 1),
    ("geo_geohash_neighbors", 1, 1),
];

/// The sphere Kusto measures on: its documented Seattle to Los Angeles
/// distance (1,546,754.35 m) comes out of this radius.
pub(super) const EARTH_RADIUS_M: f64 = 6_371_010.0;
/// WGS-84, for distances asked of the spheroid.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;

const GEOHASH_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
const GEOHASH_MAX: usize = 18;

/// A valid (longitude, latitude) in degrees.
pub(super) fn point(lon: &KV, lat: &KV) -> Option<(f64, f64)> {
    let (lon, lat) = (lon.as_f64()?, lat.as_f64()?);
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then_some((lon, lat))
}

pub(super) type Vec3 = [f64; 3];

pub(super) fn unit((lon, lat): (f64, f64)) -> Vec3 {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

pub(super) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(super) fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(super) fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

/// The central angle between two points, in radians; the form with atan2
/// stays exact for points metres apart and for points nearly antipodal.
fn central_angle(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (u, v) = (unit(a), unit(b));
    norm(cross(u, v)).atan2(dot(u, v))
}

pub fn sphere_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    central_angle(a, b) * EARTH_RADIUS_M
}

/// Vincenty's inverse formula on WGS-84; `None` where it does not converge
/// (points nearly antipodal).
fn spheroid_distance((lon1, lat1): (f64, f64), (lon2, lat2): (f64, f64)) -> Option<f64> {
    let b = WGS84_A * (1.0 - WGS84_F);
    let l = (lon2 - lon1).to_radians();
    let u1 = ((1.0 - WGS84_F) * lat1.to_radians().tan()).atan();
    let u2 = ((1.0 - WGS84_F) * lat2.to_radians().tan()).atan();
    let (sin_u1, cos_u1) = u1.sin_cos();
    let (sin_u2, cos_u2) = u2.sin_cos();
    let mut lambda = l;
    for _ in 0..200 {
        let (sin_l, cos_l) = lambda.sin_cos();
        let sin_sigma =
            ((cos_u2 * sin_l).powi(2) + (cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_l).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return Some(0.0);
        }
        let cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_l;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cos_u1 * cos_u2 * sin_l / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sm = if cos2_alpha == 0.0 {
            0.0
        } else {
            cos_sigma - 2.0 * sin_u1 * sin_u2 / cos2_alpha
        };
        let c = WGS84_F / 16.0 * cos2_alpha * (4.0 + WGS84_F * (4.0 - 3.0 * cos2_alpha));
        let previous = lambda;
        lambda = l
            + (1.0 - c)
                * WGS84_F
                * sin_alpha
                * (sigma
                    + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if (lambda - previous).abs() < 1e-12 {
            let u_sq = cos2_alpha * (WGS84_A * WGS84_A - b * b) / (b * b);
            let big_a =
                1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)));
            let big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)));
            let delta = big_b
                * sin_sigma
                * (cos_2sm
                    + big_b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - big_b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return Some(b * big_a * (sigma - delta));
        }
    }
    None
}

/// The bearing from `a` to `b`, clockwise from true north, in [0, 2π);
/// none when the points coincide or are antipodal (every way leads there).
fn azimuth(a: (f64, f64), b: (f64, f64)) -> Option<f64> {
    let angle = central_angle(a, b);
    if angle < 1e-12 || (std::f64::consts::PI - angle) < 1e-12 {
        return None;
    }
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let dl = (b.0 - a.0).to_radians();
    let y = dl.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dl.cos();
    Some(y.atan2(x).rem_euclid(std::f64::consts::TAU))
}

/// Whether `p` lies inside a ring of great-circle arcs. The arcs' signed
/// angles as seen from `p` add up to a full turn when the ring separates
/// `p` from its antipode, and to nothing otherwise; of the two, the one
/// inside is on the side of the ring's vertices (a ring is taken to be
/// smaller than a hemisphere).
pub(super) fn in_ring(p: Vec3, ring: &[Vec3]) -> bool {
    let mut turn = 0.0;
    let mut centre = [0.0; 3];
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        let y = dot(p, cross(a, b));
        let x = dot(a, b) - dot(p, a) * dot(p, b);
        turn += y.atan2(x);
        centre = [centre[0] + a[0], centre[1] + a[1], centre[2] + a[2]];
    }
    turn.abs() > std::f64::consts::PI && dot(p, centre) > 0.0
}

/// A GeoJSON ring as unit vectors, closed; `None` when a vertex is not a
/// valid coordinate.
fn ring(coords: &Json) -> Option<Vec<Vec3>> {
    let pts = coords.as_array()?;
    let mut out = Vec::with_capacity(pts.len() + 1);
    for p in pts {
        let p = p.as_array()?;
        let (lon, lat) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
        out.push(unit(point(&KV::Real(lon), &KV::Real(lat))?));
    }
    if out.len() < 3 {
        return None;
    }
    if out.first() != out.last() {
        out.push(out[0]);
    }
    Some(out)
}

/// Inside the outer ring and outside every hole, for a Polygon or any
/// member of a MultiPolygon.
pub(super) fn in_polygon(p: (f64, f64), shape: &Json) -> Option<bool> {
    let p = unit(p);
    let polygon = |rings: &Json| -> Option<bool> {
        let rings = rings.as_array()?;
        let outer = ring(rings.first()?)?;
        if !in_ring(p, &outer) {
            return Some(false);
        }
        for hole in &rings[1..] {
            if in_ring(p, &ring(hole)?) {
                return Some(false);
            }
        }
        Some(true)
    };
    let coords = shape.get("coordinates")?;
    match shape.get("type")?.as_str()? {
        "Polygon" => polygon(coords),
        "MultiPolygon" => {
            let mut any = false;
            for member in coords.as_array()? {
                any |= polygon(member)?;
            }
            Some(any)
        }
        _ => None,
    }
}

pub fn geohash((lon, lat): (f64, f64), len: usize) -> String {
    let (mut lo_lon, mut hi_lon, mut lo_lat, mut hi_lat) = (-180.0, 180.0, -90.0, 90.0);
    let mut out = String::with_capacity(len);
    let mut even = true;
    for _ in 0..len {
        let mut digit = 0;
        for _ in 0..5 {
            let (lo, hi, x) = if even {
                (&mut lo_lon, &mut hi_lon, lon)
            } else {
                (&mut lo_lat, &mut hi_lat, lat)
            };
            let mid = (*lo + *hi) / 2.0;
            digit <<= 1;
            if x >= mid {
                digit |= 1;
                *lo = mid;
            } else {
                *hi = mid;
            }
            even = !even;
        }
        out.push(GEOHASH_ALPHABET[digit] as char);
    }
    out
}

/// A geohash cell's bounds: (west, south, east, north).
fn geohash_bounds(hash: &str) -> Option<(f64, f64, f64, f64)> {
    if hash.is_empty() || hash.len() > GEOHASH_MAX {
        return None;
    }
    let (mut w, mut e, mut s, mut n) = (-180.0, 180.0, -90.0, 90.0);
    let mut even = true;
    for c in hash.bytes() {
        let digit = GEOHASH_ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_lowercase())?;
        for bit in (0..5).rev() {
            let up = digit >> bit & 1 == 1;
            let (lo, hi) = if even {
                (&mut w, &mut e)
            } else {
                (&mut s, &mut n)
            };
            let mid = (*lo + *hi) / 2.0;
            if up {
                *lo = mid;
            } else {
                *hi = mid;
            }
            even = !even;
        }
    }
    Some((w, s, e, n))
}

pub(super) fn number(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

/// The cells around one, as (columns east, rows north), in the order
/// Kusto lists them: `geo_geohash_neighbors('sunny')` gives sunnt, sunpj,
/// sunnx, sunpn, sunnv, sunpp, sunnz, sunnw.
const AROUND: [(f64, f64); 8] = [
    (-1.0, -1.0),
    (-1.0, 1.0),
    (1.0, -1.0),
    (0.0, 1.0),
    (-1.0, 0.0),
    (1.0, 1.0),
    (1.0, 0.0),
    (0.0, -1.0),
];

/// The eight cells around one; a cell at a pole has fewer, and
/// longitudes wrap around the antimeridian.
fn geohash_neighbors(hash: &str) -> Option<Vec<String>> {
    let (w, s, e, n) = geohash_bounds(hash)?;
    let (width, height) = (e - w, n - s);
    let (lon, lat) = ((w + e) / 2.0, (s + n) / 2.0);
    let mut out: Vec<String> = Vec::with_capacity(8);
    for (dx, dy) in AROUND {
        let y = lat + dy * height;
        if !(-90.0..=90.0).contains(&y) {
            continue;
        }
        let mut x = lon + dx * width;
        if x > 180.0 {
            x -= 360.0;
        } else if x < -180.0 {
            x += 360.0;
        }
        let cell = geohash((x, y), hash.len());
        // Near a pole two offsets can land in one cell.
        if !out.contains(&cell) {
            out.push(cell);
        }
    }
    Some(out)
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let at = |i: usize| point(args.get(i)?, args.get(i + 1)?);
    let real = |x: Option<f64>| x.filter(|x| x.is_finite()).map_or(KV::Null, KV::Real);
    Some(match name {
        "geo_distance_2points" => {
            let spheroid = matches!(args.get(4), Some(KV::Bool(true)));
            real(at(0).zip(at(2)).and_then(|(a, b)| {
                if spheroid {
                    spheroid_distance(a, b)
                } else {
                    Some(sphere_distance(a, b))
                }
            }))
        }
        "geo_point_in_circle" => match (at(0), at(2), args.get(4).and_then(KV::as_f64)) {
            (Some(p), Some(c), Some(r)) if r >= 0.0 => KV::Bool(sphere_distance(p, c) <= r),
            _ => KV::Null,
        },
        "geo_azimuth" => real(at(0).zip(at(2)).and_then(|(a, b)| azimuth(a, b))),
        "geo_angle" => real(match (at(0), at(2), at(4)) {
            (Some(p1), Some(p2), Some(p3)) => azimuth(p2, p1)
                .zip(azimuth(p2, p3))
                .map(|(back, on)| (on - back).rem_euclid(std::f64::consts::TAU)),
            _ => None,
        }),
        "geo_point_in_polygon" => {
            let shape = args.get(2)?.clone().parsed();
            match (at(0), shape) {
                (Some(p), Some(shape)) => in_polygon(p, &shape).map_or(KV::Null, KV::Bool),
                _ => KV::Null,
            }
        }
        "geo_point_to_geohash" => {
            let len = match args.get(2) {
                None => Some(5),
                Some(v) => v
                    .as_f64()
                    .filter(|n| (1.0..=GEOHASH_MAX as f64).contains(n))
                    .map(|n| n as usize),
            };
            match (at(0), len) {
                (Some(p), Some(len)) => KV::Str(geohash(p, len)),
                _ => KV::Str(String::new()),
            }
        }
        "geo_geohash_to_central_point" => match geohash_bounds(&args.first()?.to_text()) {
            Some((w, s, e, n)) => KV::Dyn(json!({
                "type": "Point",
                "coordinates": [number((w + e) / 2.0), number((s + n) / 2.0)],
            })),
            None => KV::Null,
        },
        "geo_geohash_to_polygon" => match geohash_bounds(&args.first()?.to_text()) {
            Some((w, s, e, n)) => KV::Dyn(json!({
                "type": "Polygon",
                "coordinates": [[
                    [number(w), number(s)],
                    [number(e), number(s)],
                    [number(e), number(n)],
                    [number(w), number(n)],
                    [number(w), number(s)],
                ]],
            })),
            None => KV::Null,
        },
        "geo_geohash_neighbors" => match geohash_neighbors(&args.first()?.to_text()) {
            Some(cells) => KV::Dyn(Json::Array(cells.into_iter().map(Json::String).collect())),
            None => KV::Null,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[f64]) -> KV {
        let args: Vec<KV> = args.iter().map(|x| KV::Real(*x)).collect();
        call(name, &args).unwrap()
    }

    fn close(got: KV, want: f64, tolerance: f64) {
        match got {
            KV::Real(x) => assert!((x - want).abs() < tolerance, "{x} vs {want}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn distances_match_the_documented_figures() {
        // Seattle to Los Angeles, as the documentation gives it.
        let seattle_la = [-122.407628, 47.578557, -118.275287, 34.019056];
        close(
            run("geo_distance_2points", &seattle_la),
            1_546_754.351_973_81,
            1e-3,
        );
        // The spheroid is a few kilometres off the sphere over that span.
        let mut with_spheroid: Vec<KV> = seattle_la.iter().map(|x| KV::Real(*x)).collect();
        with_spheroid.push(KV::Bool(true));
        let KV::Real(d) = call("geo_distance_2points", &with_spheroid).unwrap() else {
            panic!()
        };
        assert!((d - 1_546_754.35).abs() > 100.0 && (d - 1_546_754.35).abs() < 10_000.0);
        assert_eq!(
            run("geo_distance_2points", &[300.0, 0.0, 0.0, 0.0]),
            KV::Null
        );
        assert_eq!(
            run("geo_distance_2points", &[0.0, 0.0, 0.0, 91.0]),
            KV::Null
        );
    }

    #[test]
    fn angles_are_clockwise_from_the_first_line() {
        close(
            run("geo_angle", &[0.0, 10.0, 0.0, 5.0, 3.0, -10.0]),
            2.944_938_434_068_82,
            1e-9,
        );
        assert_eq!(
            run("geo_angle", &[0.0, 10.0, 0.0, 10.0, 3.0, -10.0]),
            KV::Null
        );
        // Due east along the equator.
        close(
            run("geo_azimuth", &[0.0, 0.0, 1.0, 0.0]),
            std::f64::consts::FRAC_PI_2,
            1e-12,
        );
        assert_eq!(run("geo_azimuth", &[5.0, 10.0, 5.0, 10.0]), KV::Null);
    }

    #[test]
    fn geohash_cells_round_trip() {
        assert_eq!(geohash((-122.303404, 47.570482), 5), "c23n8");
        assert_eq!(geohash((-122.278156, 47.566936), 5), "c23n9");
        let (w, s, e, n) = geohash_bounds("sunny").unwrap();
        assert_eq!(
            ((w + e) / 2.0, (s + n) / 2.0),
            (42.47314453125, 23.70849609375)
        );
        assert!(geohash_bounds("a").is_none(), "a is not in the alphabet");
        let around = geohash_neighbors("sunny").unwrap();
        assert_eq!(
            around,
            [
                "sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"
            ]
        );
        // At the north pole there is nothing further north; across the
        // antimeridian the cells wrap.
        assert_eq!(geohash_neighbors("b").unwrap().len(), 5);
        assert!(geohash_neighbors("8").unwrap().contains(&"x".to_string()));
        assert!(around.iter().all(|c| c.len() == 5 && c != "sunny"));
        // Every neighbour touches the cell.
        for c in &around {
            let (cw, cs, ce, cn) = geohash_bounds(c).unwrap();
            assert!(cw <= e && ce >= w && cs <= n && cn >= s, "{c}");
        }
    }

    #[test]
    fn polygons_hold_points_inside_and_not_in_their_holes() {
        let square = json!({"type": "Polygon", "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ]});
        let inside = |lon, lat| in_polygon((lon, lat), &square);
        assert_eq!(inside(2.0, 2.0), Some(true));
        assert_eq!(inside(5.0, 5.0), Some(false), "in the hole");
        assert_eq!(inside(12.0, 2.0), Some(false));
        assert_eq!(inside(-170.0, -5.0), Some(false));
        let multi = json!({"type": "MultiPolygon", "coordinates": [
            [[[0, 0], [1, 0], [1, 1], [0, 0]]],
            [[[20, 20], [22, 20], [22, 22], [20, 22], [20, 20]]],
        ]});
        assert_eq!(in_polygon((21.0, 21.0), &multi), Some(true));
        assert_eq!(in_polygon((21.0, 21.0), &json!({"type": "Point"})), None);
    }
}
