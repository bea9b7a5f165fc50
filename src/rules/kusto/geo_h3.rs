//! H3 cells as Kusto's `geo_h3cell_*` functions read them: a 64-bit index
//! written as hexadecimal, holding a mode, a resolution (0 to 15), one of
//! 122 base cells, and one digit (0 to 6) per finer resolution, the unused
//! ones set to 7. A cell's parent and children follow from those digits
//! alone; where a cell lies on the globe (points, outlines, neighbours)
//! needs H3's icosahedron projection, which these functions do not take.

use serde_json::Value as Json;

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_h3cell_level", 1, 1),
    ("geo_h3cell_parent", 1, 2),
    ("geo_h3cell_children", 1, 2),
];

const MAX_RES: u32 = 15;
const BASE_CELLS: u64 = 122;
/// The base cells that are pentagons: below them, the first digit that is
/// not 0 is never 1, the direction a pentagon lacks.
const PENTAGONS: [u64; 12] = [4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117];
/// Kusto refuses children more than this many levels down (16,807 cells).
const MAX_CHILD_LEVELS: u32 = 5;

const MODE_CELL: u64 = 1;
const MODE_SHIFT: u32 = 59;
const RES_SHIFT: u32 = 52;
const BASE_SHIFT: u32 = 45;
const UNUSED: u64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct H3(u64);

impl H3 {
    /// A valid cell index from its hexadecimal token.
    fn parse(token: &str) -> Option<H3> {
        if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let cell = H3(u64::from_str_radix(token, 16).ok()?);
        cell.valid().then_some(cell)
    }

    fn token(self) -> String {
        format!("{:x}", self.0)
    }

    fn res(self) -> u32 {
        ((self.0 >> RES_SHIFT) & 0xf) as u32
    }

    fn base(self) -> u64 {
        (self.0 >> BASE_SHIFT) & 0x7f
    }

    fn digit_shift(r: u32) -> u32 {
        (MAX_RES - r) * 3
    }

    fn digit(self, r: u32) -> u64 {
        (self.0 >> Self::digit_shift(r)) & 7
    }

    fn with_digit(self, r: u32, d: u64) -> H3 {
        let shift = Self::digit_shift(r);
        H3((self.0 & !(7 << shift)) | (d << shift))
    }

    fn with_res(self, res: u32) -> H3 {
        H3((self.0 & !(0xf << RES_SHIFT)) | (u64::from(res) << RES_SHIFT))
    }

    fn valid(self) -> bool {
        // The top bit is reserved, as are the three bits below the mode.
        if self.0 >> 63 != 0 || (self.0 >> MODE_SHIFT) & 0xf != MODE_CELL {
            return false;
        }
        if (self.0 >> 56) & 7 != 0 || self.base() >= BASE_CELLS {
            return false;
        }
        let res = self.res();
        let mut leading_zeros = true;
        for r in 1..=MAX_RES {
            let d = self.digit(r);
            if r > res {
                if d != UNUSED {
                    return false;
                }
                continue;
            }
            if d == UNUSED {
                return false;
            }
            if leading_zeros && d != 0 {
                if d == 1 && self.on_pentagon_base() {
                    return false;
                }
                leading_zeros = false;
            }
        }
        true
    }

    fn on_pentagon_base(self) -> bool {
        PENTAGONS.contains(&self.base())
    }

    /// A pentagon is a pentagon base cell's centre child, at any depth.
    fn is_pentagon(self) -> bool {
        self.on_pentagon_base() && (1..=self.res()).all(|r| self.digit(r) == 0)
    }

    fn parent(self, res: u32) -> Option<H3> {
        if res > self.res() {
            return None;
        }
        let mut p = self.with_res(res);
        for r in res + 1..=self.res() {
            p = p.with_digit(r, UNUSED);
        }
        Some(p)
    }

    /// Children at `res`, in ascending order of their indexes.
    fn children(self, res: u32, out: &mut Vec<H3>) {
        if self.res() == res {
            out.push(self);
            return;
        }
        let next = self.res() + 1;
        let pentagon = self.is_pentagon();
        for d in 0..=6 {
            if pentagon && d == 1 {
                continue;
            }
            self.with_res(next).with_digit(next, d).children(res, out);
        }
    }
}

fn resolution(v: &KV, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    v.as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(MAX_RES))
        .map(|n| n as u32)
        .filter(|r| range.contains(r))
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let cell = match args.first()? {
        KV::Null => None,
        v => H3::parse(&v.to_text()),
    };
    Some(match name {
        "geo_h3cell_level" => cell.map_or(KV::Null, |c| KV::Long(i64::from(c.res()))),
        "geo_h3cell_parent" => {
            let parent = cell.and_then(|c| {
                let res = match args.get(1) {
                    None => c.res().checked_sub(1)?,
                    Some(v) => resolution(v, 0..=MAX_RES - 1)?,
                };
                c.parent(res)
            });
            KV::Str(parent.map(H3::token).unwrap_or_default())
        }
        "geo_h3cell_children" => {
            let children = cell.and_then(|c| {
                let res = match args.get(1) {
                    None => c.res() + 1,
                    Some(v) => resolution(v, 1..=MAX_RES)?,
                };
                if res < c.res() || res > MAX_RES || res - c.res() > MAX_CHILD_LEVELS {
                    return None;
                }
                let mut out = Vec::new();
                c.children(res, &mut out);
                Some(out)
            });
            match children {
                Some(list) => KV::Dyn(Json::Array(
                    list.into_iter().map(|c| Json::String(c.token())).collect(),
                )),
                None => KV::Null,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[KV]) -> KV {
        call(name, args).unwrap()
    }

    fn text(s: &str) -> KV {
        KV::Str(s.into())
    }

    #[test]
    fn parents_drop_digits_as_kusto_documents() {
        assert_eq!(
            run("geo_h3cell_parent", &[text("862a1072fffffff")]).to_text(),
            "852a1073fffffff"
        );
        assert_eq!(
            run("geo_h3cell_parent", &[text("862a1072fffffff"), KV::Long(1)]).to_text(),
            "812a3ffffffffff"
        );
        for bad in [
            vec![text("123")],
            vec![text("862a1072fffffff"), KV::Long(100)],
            vec![text("862a1072fffffff"), KV::Long(15)],
            vec![text("802a3ffffffffff")],
        ] {
            assert_eq!(run("geo_h3cell_parent", &bad).to_text(), "", "{bad:?}");
        }
    }

    #[test]
    fn children_are_seven_per_level_and_six_under_a_pentagon() {
        let KV::Dyn(Json::Array(kids)) = run("geo_h3cell_children", &[text("862a1072fffffff")])
        else {
            panic!("children are an array")
        };
        let kids: Vec<&str> = kids.iter().filter_map(Json::as_str).collect();
        assert_eq!(
            kids,
            [
                "872a10728ffffff",
                "872a10729ffffff",
                "872a1072affffff",
                "872a1072bffffff",
                "872a1072cffffff",
                "872a1072dffffff",
                "872a1072effffff"
            ]
        );
        let count = |args: &[KV]| match run("geo_h3cell_children", args) {
            KV::Dyn(Json::Array(a)) => Some(a.len()),
            _ => None,
        };
        assert_eq!(count(&[text("862a1072fffffff"), KV::Long(9)]), Some(343));
        assert_eq!(count(&[text("862a1072fffffff"), KV::Long(6)]), Some(1));
        assert_eq!(
            count(&[text("862a1072fffffff"), KV::Long(11)]),
            Some(16_807)
        );
        assert_eq!(count(&[text("862a1072fffffff"), KV::Long(12)]), None);
        assert_eq!(count(&[text("862a1072fffffff"), KV::Long(5)]), None);
        assert_eq!(count(&[text("abc")]), None);
        // Base cell 4 is a pentagon: its centre child lacks direction 1,
        // at every depth, while its other children are hexagons.
        let pentagon = H3(0x8009fffffffffff);
        assert!(pentagon.valid() && pentagon.is_pentagon());
        assert_eq!(count(&[text(&pentagon.token())]), Some(6));
        assert_eq!(
            count(&[text(&pentagon.token()), KV::Long(2)]),
            Some(6 * 7 - 1)
        );
    }

    #[test]
    fn malformed_indexes_have_no_level() {
        assert_eq!(
            run("geo_h3cell_level", &[text("862a1072fffffff")]).to_text(),
            "6"
        );
        assert_eq!(
            run("geo_h3cell_level", &[text("8009fffffffffff")]).to_text(),
            "0"
        );
        assert_eq!(
            run("geo_h3cell_level", &[text("81083ffffffffff")]).to_text(),
            "1"
        );
        assert_eq!(
            run("geo_h3cell_level", &[text("80f3fffffffffff")]).to_text(),
            "0"
        );
        for bad in [
            "abc",
            "",
            "862a1072ffffff0",  // a digit past the resolution is used
            "8f2a1072fffffff",  // resolution 15 with unused digits
            "80f5fffffffffff",  // base cell 122 does not exist
            "862a107ffffffff",  // a digit within the resolution is unused
            "8862a1072fffffff", // the reserved top bit is set
            "81087ffffffffff",  // below a pentagon, direction 1 first
            "not hex at all",
        ] {
            assert!(
                matches!(run("geo_h3cell_level", &[text(bad)]), KV::Null),
                "{bad}"
            );
        }
    }
}
