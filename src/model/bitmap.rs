//! The migration bitmap: one bit per guest page, set while the page still has to be
//! sent, walked in address order by the sender like QEMU's `migration_bitmap_find_dirty`.
//!
//! Word-level operations keep a pass over a 1 TiB guest (268 M pages, 4 M words)
//! cheap; dirtying is drawn in bulk per sync interval (see [`PageBitmap::set_bernoulli`]).

use crate::sim::SimRng;

/// What one page costs the sender: bytes on the wire and time of the sender thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageCost {
    /// Bytes of the migration stream the page produces.
    pub bytes: f64,
    /// Sender time the page takes, in nanoseconds.
    pub ns: f64,
}

/// How much the sender may still send in the current rate-limit window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Stream bytes left in the window.
    pub bytes: f64,
    /// Sender time left in the window, in nanoseconds.
    pub ns: f64,
}

/// Pages taken by one walk of the sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    /// Pages with data (sent as header + page).
    pub normal_pages: u64,
    /// Zero pages (sent as header + 1 byte).
    pub zero_pages: u64,
}

/// A page bitmap with a running count of set bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBitmap {
    words: Vec<u64>,
    pages: u64,
    set: u64,
}

impl PageBitmap {
    /// A bitmap of `pages` pages, all set (QEMU starts a migration with every page dirty).
    pub fn full(pages: u64) -> Self {
        let n_words = pages.div_ceil(64) as usize;
        let mut words = vec![u64::MAX; n_words];
        if let Some(last) = words.last_mut().filter(|_| !pages.is_multiple_of(64)) {
            *last = (1u64 << (pages % 64)) - 1;
        }
        Self {
            words,
            pages,
            set: pages,
        }
    }

    /// A bitmap of `pages` pages, none set.
    pub fn empty(pages: u64) -> Self {
        Self {
            words: vec![0; pages.div_ceil(64) as usize],
            pages,
            set: 0,
        }
    }

    /// Number of pages covered.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Number of set pages (QEMU's `migration_dirty_pages`).
    pub fn count(&self) -> u64 {
        self.set
    }

    /// Number of set pages in `[start, end)`.
    pub fn count_range(&self, start: u64, end: u64) -> u64 {
        let end = end.min(self.pages);
        if start >= end {
            return 0;
        }
        let (ws, we) = ((start / 64) as usize, ((end - 1) / 64) as usize);
        let mut n = 0;
        for (w, word) in self.words[ws..=we].iter().enumerate() {
            let w = (ws + w) as u64;
            n += (word & range_mask(w, start, end)).count_ones() as u64;
        }
        n
    }

    /// Whether page `page` is set.
    pub fn get(&self, page: u64) -> bool {
        page < self.pages && self.words[(page / 64) as usize] >> (page % 64) & 1 == 1
    }

    /// Sets page `page`; returns true if it was clear.
    pub fn set(&mut self, page: u64) -> bool {
        if page >= self.pages {
            return false;
        }
        let w = &mut self.words[(page / 64) as usize];
        let bit = 1u64 << (page % 64);
        let was_clear = *w & bit == 0;
        *w |= bit;
        self.set += was_clear as u64;
        was_clear
    }

    /// Bulk dirtying: every page in `[start, end)` is set independently with
    /// probability `p`; returns how many were newly set.
    ///
    /// Picked pages are found by geometric skips, so the cost follows the number of
    /// pages picked, not the size of the range; above p = 1/2 the skips run over the
    /// pages *not* picked instead, so a saturated working set costs a word pass.
    pub fn set_bernoulli(&mut self, start: u64, end: u64, p: f64, rng: &mut SimRng) -> u64 {
        let end = end.min(self.pages);
        if start >= end || p.is_nan() || p <= 0.0 {
            return 0;
        }
        let before = self.set;
        if p <= 0.5 {
            let ln_1mp = (-p).ln_1p();
            let mut page = start;
            loop {
                let gap = rng.geometric_gap(ln_1mp);
                page = match page.checked_add(gap) {
                    Some(x) if x < end => x,
                    _ => break,
                };
                self.set(page);
                page += 1;
            }
        } else {
            // Walk the pages left out (probability 1 - p) and set everything else.
            let q = 1.0 - p;
            let ln_1mq = if q > 0.0 { (-q).ln_1p() } else { 0.0 };
            let mut next_skip = next_pick(start, ln_1mq, end, rng);
            let (ws, we) = ((start / 64) as usize, ((end - 1) / 64) as usize);
            for w in ws..=we {
                let mut mask = range_mask(w as u64, start, end);
                let word_end = ((w as u64 + 1) * 64).min(end);
                while next_skip < word_end {
                    mask &= !(1u64 << (next_skip % 64));
                    next_skip = next_pick(next_skip + 1, ln_1mq, end, rng);
                }
                let old = self.words[w];
                self.words[w] = old | mask;
                self.set += (mask & !old).count_ones() as u64;
            }
        }
        self.set - before
    }

    /// Per-write reference: `writes` writes, each to a uniformly chosen page of
    /// `[start, end)`; returns how many pages were newly set.
    pub fn set_uniform_writes(
        &mut self,
        start: u64,
        end: u64,
        writes: u64,
        rng: &mut SimRng,
    ) -> u64 {
        let end = end.min(self.pages);
        if start >= end {
            return 0;
        }
        let before = self.set;
        for _ in 0..writes {
            self.set(start + rng.below(end - start));
        }
        self.set - before
    }

    /// ORs `other` into `self`; returns how many pages were newly set.
    pub fn merge(&mut self, other: &PageBitmap) -> u64 {
        let before = self.set;
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            self.set += (b & !*a).count_ones() as u64;
            *a |= b;
        }
        self.set - before
    }

    /// The sender: starting at `*cursor`, takes set pages in address order, wrapping
    /// at the end of RAM, until the budget runs out or no page is left. Pages in
    /// `zero` are zero pages. A page is taken while budget remains, so
    /// the last one may overshoot it, as QEMU checks its rate limit before a page.
    pub fn take(
        &mut self,
        cursor: &mut u64,
        zero_pages: std::ops::Range<u64>,
        normal: PageCost,
        zero: PageCost,
        budget: &mut Budget,
    ) -> Taken {
        let mut taken = Taken::default();
        if self.pages == 0 {
            return taken;
        }
        let n_words = self.words.len();
        let mut w = ((*cursor % self.pages) / 64) as usize;
        let mut first_mask = u64::MAX << (*cursor % 64);
        let mut visited = 0usize;
        while self.set > 0 && budget.bytes > 0.0 && budget.ns > 0.0 && visited <= n_words {
            let word = self.words[w] & first_mask;
            first_mask = u64::MAX;
            if word != 0 {
                let base = w as u64 * 64;
                let zmask = range_mask(w as u64, zero_pages.start, zero_pages.end);
                let (kz, kn) = (
                    (word & zmask).count_ones() as f64,
                    (word & !zmask).count_ones() as f64,
                );
                let cost_bytes = kn * normal.bytes + kz * zero.bytes;
                let cost_ns = kn * normal.ns + kz * zero.ns;
                if cost_bytes < budget.bytes && cost_ns < budget.ns {
                    self.words[w] &= !word;
                    self.set -= (kn + kz) as u64;
                    taken.normal_pages += kn as u64;
                    taken.zero_pages += kz as u64;
                    budget.bytes -= cost_bytes;
                    budget.ns -= cost_ns;
                } else {
                    let mut rest = word;
                    while rest != 0 && budget.bytes > 0.0 && budget.ns > 0.0 {
                        let bit = rest & rest.wrapping_neg();
                        rest &= !bit;
                        self.words[w] &= !bit;
                        self.set -= 1;
                        let c = if bit & zmask != 0 {
                            taken.zero_pages += 1;
                            zero
                        } else {
                            taken.normal_pages += 1;
                            normal
                        };
                        budget.bytes -= c.bytes;
                        budget.ns -= c.ns;
                    }
                    if rest != 0 {
                        // Budget ran out inside this word: resume at the next set bit.
                        *cursor = base + rest.trailing_zeros() as u64;
                        return taken;
                    }
                }
            }
            w += 1;
            visited += 1;
            if w == n_words {
                w = 0;
            }
        }
        *cursor = (w as u64 * 64) % self.pages.max(1);
        taken
    }
}

/// The mask of bits of word `w` that lie in `[start, end)`.
fn range_mask(w: u64, start: u64, end: u64) -> u64 {
    let base = w * 64;
    let lo = start.saturating_sub(base).min(64);
    let hi = end.saturating_sub(base).min(64);
    if hi <= lo {
        return 0;
    }
    let upper = if hi == 64 { u64::MAX } else { (1u64 << hi) - 1 };
    upper & (u64::MAX << lo)
}

/// The next page at or after `from` picked with the probability behind `ln_1mq`, or
/// `end` if none is picked before it.
fn next_pick(from: u64, ln_1mq: f64, end: u64, rng: &mut SimRng) -> u64 {
    match from.checked_add(rng.geometric_gap(ln_1mq)) {
        Some(x) if x < end => x,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: PageCost = PageCost {
        bytes: 4104.0,
        ns: 1.0,
    };
    const ZERO: PageCost = PageCost {
        bytes: 9.0,
        ns: 1.0,
    };

    fn unlimited() -> Budget {
        Budget {
            bytes: f64::INFINITY,
            ns: f64::INFINITY,
        }
    }

    #[test]
    fn full_and_empty_counts() {
        for n in [0u64, 1, 63, 64, 65, 1000] {
            let b = PageBitmap::full(n);
            assert_eq!(b.count(), n);
            assert_eq!(b.count_range(0, n), n);
            assert_eq!(PageBitmap::empty(n).count_range(0, n), 0);
        }
    }

    #[test]
    fn take_walks_in_address_order_and_wraps() {
        let mut b = PageBitmap::empty(200);
        for p in [5, 70, 150, 199] {
            b.set(p);
        }
        let mut cursor = 100;
        let mut budget = Budget {
            bytes: 2.0 * PAGE.bytes - 1.0,
            ns: f64::INFINITY,
        };
        let t = b.take(&mut cursor, 200..200, PAGE, ZERO, &mut budget);
        // Two pages fit (the second overshoots the budget by design).
        assert_eq!(t.normal_pages, 2);
        assert!(!b.get(150) && !b.get(199) && b.get(5) && b.get(70));
        let mut budget = unlimited();
        let t = b.take(&mut cursor, 200..200, PAGE, ZERO, &mut budget);
        assert_eq!(t.normal_pages, 2);
        assert_eq!(b.count(), 0);
    }

    #[test]
    fn take_splits_zero_and_normal_pages() {
        let mut b = PageBitmap::full(1000);
        let mut cursor = 0;
        let t = b.take(&mut cursor, 700..1000, PAGE, ZERO, &mut unlimited());
        assert_eq!(
            t,
            Taken {
                normal_pages: 700,
                zero_pages: 300
            }
        );
        assert_eq!(b.count(), 0);
        // Zero pages between two non-zero regions, with word-unaligned edges.
        let mut b = PageBitmap::full(1000);
        let mut budget = Budget {
            bytes: f64::INFINITY,
            ns: 949.5, // 950 pages: the last one overshoots
        };
        let t = b.take(&mut cursor, 650..950, PAGE, ZERO, &mut budget);
        assert_eq!(
            t,
            Taken {
                normal_pages: 650,
                zero_pages: 300
            }
        );
        assert_eq!(cursor, 950);
        let t = b.take(&mut cursor, 650..950, PAGE, ZERO, &mut unlimited());
        assert_eq!(t.normal_pages, 50);
        assert_eq!(t.zero_pages, 0);
    }

    #[test]
    fn take_stops_mid_word_and_resumes_there() {
        let mut b = PageBitmap::full(256);
        let mut cursor = 0;
        let mut budget = Budget {
            bytes: f64::INFINITY,
            ns: 10.5,
        };
        let t = b.take(&mut cursor, 256..256, PAGE, ZERO, &mut budget);
        assert_eq!(t.normal_pages, 11);
        assert_eq!(cursor, 11);
        let mut budget = Budget {
            bytes: f64::INFINITY,
            ns: 100.5,
        };
        let t = b.take(&mut cursor, 256..256, PAGE, ZERO, &mut budget);
        assert_eq!(t.normal_pages, 101);
        assert_eq!(cursor, 112);
        assert_eq!(b.count(), 256 - 112);
    }

    #[test]
    fn bernoulli_hits_expected_fraction_both_ways() {
        let mut rng = SimRng::seeded(11);
        for p in [0.001, 0.1, 0.5, 0.7, 0.999, 1.0] {
            let mut b = PageBitmap::empty(1_000_000);
            let n = b.set_bernoulli(100, 900_100, p, &mut rng);
            assert_eq!(n, b.count());
            assert_eq!(b.count_range(0, 100) + b.count_range(900_100, 1_000_000), 0);
            let expect = 900_000.0 * p;
            let sd = (900_000.0 * p * (1.0 - p)).sqrt().max(1.0);
            assert!(
                (n as f64 - expect).abs() < 6.0 * sd,
                "p={p}: {n} vs {expect}"
            );
        }
    }

    #[test]
    fn bernoulli_counts_only_new_pages() {
        let mut rng = SimRng::seeded(5);
        let mut b = PageBitmap::full(10_000);
        assert_eq!(b.set_bernoulli(0, 10_000, 0.3, &mut rng), 0);
        assert_eq!(b.set_bernoulli(0, 10_000, 0.9, &mut rng), 0);
        assert_eq!(b.count(), 10_000);
    }

    #[test]
    fn merge_counts_new_bits() {
        let mut a = PageBitmap::empty(130);
        let mut b = PageBitmap::empty(130);
        a.set(1);
        b.set(1);
        b.set(129);
        assert_eq!(a.merge(&b), 1);
        assert_eq!(a.count(), 2);
    }
}
