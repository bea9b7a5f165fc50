//! Intersections of shapes on Kusto's sphere, by the same boundary overlay
//! as unions: every boundary is cut where it meets the other shape's. A
//! piece of one polygon's boundary inside the other bounds the common
//! area; a piece both share bounds it when both run it the same way, and
//! is only a common edge when they run it opposite ways. Shapes that
//! touch give the points or edges they touch at, so the result may be a
//! point, a line, a polygon, or a collection of them, as Kusto's is.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value as Json, json};

use super::geo_arcs::{Coord, Lines, Polygon, lines, polygons};
use super::geo_shapes::coords_json;
use super::geo_union::{
    Key, Piece, Solid, assemble, ends, key, midpoint, oriented, overlay, polygons_json, runs_of,
    shared,
};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_intersection_2polygons", 2, 2),
    ("geo_intersection_line_with_polygon", 2, 2),
];

/// What two shapes have in common, by dimension.
#[derive(Default)]
struct Common {
    points: Vec<Coord>,
    lines: Vec<Vec<Coord>>,
    polygons: Vec<Polygon>,
}

impl Common {
    fn json(self) -> KV {
        let point = |p: Coord| coords_json(&[p])[0].clone();
        let mut parts: Vec<Json> = Vec::new();
        match self.points.len() {
            0 => {}
            1 => parts.push(json!({"type": "Point", "coordinates": point(self.points[0])})),
            _ => parts.push(json!({
                "type": "MultiPoint",
                "coordinates": self.points.iter().map(|p| point(*p)).collect::<Vec<_>>(),
            })),
        }
        match self.lines.len() {
            0 => {}
            1 => parts
                .push(json!({"type": "LineString", "coordinates": coords_json(&self.lines[0])})),
            _ => parts.push(json!({
                "type": "MultiLineString",
                "coordinates": self.lines.iter().map(|l| coords_json(l)).collect::<Vec<_>>(),
            })),
        }
        if !self.polygons.is_empty() {
            if let KV::Dyn(j) = polygons_json(&self.polygons) {
                parts.push(j);
            }
        }
        if parts.len() == 1 {
            return KV::Dyn(parts.remove(0));
        }
        KV::Dyn(json!({"type": "GeometryCollection", "geometries": parts}))
    }
}

/// Vertices both groups' pieces reach that no kept piece ends at: where
/// the shapes touch without sharing anything longer.
fn touching(pieces: &[Piece], group: &[usize], kept: &[Piece]) -> Vec<Coord> {
    let mut reached: [HashMap<Key, Coord>; 2] = [HashMap::new(), HashMap::new()];
    for p in pieces {
        for v in [p.a, p.b] {
            reached[group[p.owner]].insert(key(v), v);
        }
    }
    let ends: BTreeSet<Key> = kept.iter().flat_map(|p| [key(p.a), key(p.b)]).collect();
    let mut out: Vec<(Key, Coord)> = reached[0]
        .iter()
        .filter(|(k, _)| reached[1].contains_key(k) && !ends.contains(k))
        .map(|(k, v)| (*k, *v))
        .collect();
    out.sort_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.total_cmp(&b.1.1)));
    out.into_iter().map(|(_, v)| v).collect()
}

fn two_polygons(a: Vec<Polygon>, b: Vec<Polygon>) -> Option<Common> {
    let group: Vec<usize> = a.iter().map(|_| 0).chain(b.iter().map(|_| 1)).collect();
    let all: Vec<Polygon> = a.into_iter().chain(b).map(oriented).collect();
    let solids: Vec<Solid> = all.iter().map(Solid::of).collect();
    let pieces = overlay(all.iter().map(Vec::as_slice))?;
    let shared = shared(&pieces);
    let mut kept = Vec::new();
    let mut edges_only = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let g = group[p.owner];
        let x = key(p.a);
        let same = &shared[&ends(p)];
        if same.iter().any(|&j| group[pieces[j].owner] != g) {
            if same[0] != i {
                continue;
            }
            if same.iter().any(|&j| key(pieces[j].a) != x) {
                edges_only.push(*p);
            } else {
                kept.push(*p);
            }
            continue;
        }
        let Some(m) = midpoint(p) else { continue };
        let inside_other = solids
            .iter()
            .enumerate()
            .any(|(o, s)| group[o] != g && s.holds(m));
        if inside_other {
            kept.push(*p);
        }
    }
    let polygons = assemble(&kept)?;
    let mut ends = kept.clone();
    ends.extend(edges_only.iter().copied());
    Some(Common {
        points: touching(&pieces, &group, &ends),
        lines: runs_of(edges_only),
        polygons,
    })
}

fn line_with_polygon(line: Lines, shape: Vec<Polygon>) -> Option<Common> {
    let shape: Vec<Polygon> = shape.into_iter().map(oriented).collect();
    let group: Vec<usize> = std::iter::once(0).chain(shape.iter().map(|_| 1)).collect();
    let solids: Vec<Solid> = shape.iter().map(Solid::of).collect();
    let pieces = overlay(std::iter::once(line.as_slice()).chain(shape.iter().map(Vec::as_slice)))?;
    let boundary: BTreeSet<(Key, Key)> = pieces.iter().filter(|p| p.owner != 0).map(ends).collect();
    // A polygon holds its boundary: a stretch of line along it counts.
    let kept: Vec<Piece> = pieces
        .iter()
        .filter(|p| p.owner == 0)
        .filter(|p| {
            boundary.contains(&ends(p))
                || midpoint(p).is_some_and(|m| solids.iter().any(|s| s.holds(m)))
        })
        .copied()
        .collect();
    Some(Common {
        points: touching(&pieces, &group, &kept),
        lines: runs_of(kept),
        polygons: Vec::new(),
    })
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let shape = |i: usize| args.get(i).and_then(|a| a.clone().parsed());
    let common = match name {
        "geo_intersection_2polygons" => {
            let (Some(a), Some(b)) = (shape(0), shape(1)) else {
                return Some(KV::Null);
            };
            polygons(&a)
                .zip(polygons(&b))
                .and_then(|(a, b)| two_polygons(a, b))
        }
        "geo_intersection_line_with_polygon" => {
            let (Some(l), Some(p)) = (shape(0), shape(1)) else {
                return Some(KV::Null);
            };
            lines(&l)
                .zip(polygons(&p))
                .and_then(|(l, p)| line_with_polygon(l, p))
        }
        _ => return None,
    };
    Some(common.map_or(KV::Null, Common::json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, a: Json, b: Json) -> Json {
        match call(name, &[KV::Dyn(a), KV::Dyn(b)]).unwrap() {
            KV::Dyn(j) => j,
            other => panic!("{other:?}"),
        }
    }

    fn triangle(points: [[f64; 2]; 3]) -> Json {
        json!({"type": "Polygon", "coordinates": [[points[0], points[1], points[2], points[0]]]})
    }

    #[test]
    fn polygons_that_touch_at_a_corner_meet_at_a_point_and_apart_ones_not_at_all() {
        let a = triangle([[2.0, 45.0], [0.0, 45.0], [1.0, 44.0]]);
        let touching = triangle([[3.0, 44.0], [2.0, 45.0], [2.0, 43.0]]);
        assert_eq!(
            run("geo_intersection_2polygons", a.clone(), touching),
            json!({"type": "Point", "coordinates": [2, 45]})
        );
        let apart = triangle([[3.0, 44.0], [3.0, 45.0], [2.0, 43.0]]);
        assert_eq!(
            run("geo_intersection_2polygons", a, apart),
            json!({"type": "GeometryCollection", "geometries": []})
        );
    }

    #[test]
    fn a_polygon_inside_another_is_their_intersection_and_an_overlap_is_cut_out() {
        let big =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]]});
        let small =
            json!({"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]});
        let got = run("geo_intersection_2polygons", big.clone(), small);
        assert_eq!(got["type"], "Polygon");
        let ring = got["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 5);
        for corner in [[1, 1], [2, 1], [2, 2], [1, 2]] {
            assert!(ring.contains(&json!(corner)), "{corner:?} in {ring:?}");
        }

        // Overlapping squares share the square between their crossings,
        // the crossings a little off the grid as edges are great circles.
        let shifted =
            json!({"type": "Polygon", "coordinates": [[[2, 2], [6, 2], [6, 6], [2, 6], [2, 2]]]});
        let got = run("geo_intersection_2polygons", big, shifted);
        assert_eq!(got["type"], "Polygon", "{got}");
        let ring = got["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 5, "{got}");
        assert!(
            ring.contains(&json!([4, 4])) && ring.contains(&json!([2, 2])),
            "{got}"
        );
        for c in ring {
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!(
                (1.99..=4.01).contains(&x) && (1.99..=4.01).contains(&y),
                "{got}"
            );
        }
    }

    #[test]
    fn a_line_keeps_its_stretch_inside_the_polygon() {
        let square =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]});
        let across = json!({"type": "LineString", "coordinates": [[-1, 1], [3, 1]]});
        let got = run("geo_intersection_line_with_polygon", across, square.clone());
        assert_eq!(got["type"], "LineString", "{got}");
        let run_ = got["coordinates"].as_array().unwrap();
        assert_eq!(run_.len(), 2, "{got}");
        let xs: Vec<f64> = run_.iter().map(|c| c[0].as_f64().unwrap()).collect();
        assert!(
            (xs[0] - 0.0).abs() < 1e-9 && (xs[1] - 2.0).abs() < 1e-9,
            "{got}"
        );

        let outside = json!({"type": "LineString", "coordinates": [[5, 5], [6, 6]]});
        assert_eq!(
            run(
                "geo_intersection_line_with_polygon",
                outside,
                square.clone()
            ),
            json!({"type": "GeometryCollection", "geometries": []})
        );
        assert!(matches!(
            call(
                "geo_intersection_line_with_polygon",
                &[
                    KV::Dyn(json!({"type": "LineString", "coordinates": [[1, 1]]})),
                    KV::Dyn(square)
                ]
            ),
            Some(KV::Null)
        ));
    }
}
