//! The province's households (`province_voice`'s second half): households in every grid with
//! the member who looks after them, and their visits.

use super::{Counts, Gen, Village, YEARS, at, count, date};
use crate::members::{GIVEN, SURNAMES, pick};
use crate::province_copy::{TownRows, V};
use crate::province_texts as t;
use jiceng_domain::member::{mask_address, mask_phone};
use jiceng_store::StoreError;
use jiceng_store::households::{METRIC_OPEN, VISITS_PREFIX};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

impl Gen<'_> {
    /// A village's households in its grids, the member who looks after each, and their visits.
    pub(super) fn households(
        &mut self,
        rng: &mut ChaCha8Rng,
        v: &Village,
        town_name: &str,
        rows: &mut TownRows,
        c: &mut Counts,
    ) -> Result<(), StoreError> {
        let n = (f64::from(self.size.households) * rng.gen_range(0.6..1.4)).round() as usize;
        let visits_each = f64::from(self.size.visits) / f64::from(self.size.households.max(1));
        let first = self.today - YEARS * 365 + 1;
        let grids: Vec<(i64, &str)> = if v.grids.is_empty() {
            vec![(v.id, v.code.as_str())]
        } else {
            v.grids
                .iter()
                .map(|(id, code)| (*id, code.as_str()))
                .collect()
        };
        for i in 0..n {
            let id = self.next_household;
            self.next_household += 1;
            let (place, code) = grids[i % grids.len()];
            // Most were on the register before the history starts; some moved in, a few left.
            let since = if rng.gen_range(0..20) == 0 {
                first + rng.gen_range(0..YEARS * 365 - 30)
            } else {
                first - rng.gen_range(30..3000)
            };
            let closed = (rng.gen_range(0..40) == 0)
                .then(|| (since.max(first) + rng.gen_range(1..400)).min(self.today));
            let head = format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN));
            let head = if rng.gen_bool(0.6) {
                format!("{head}{}", pick(rng, GIVEN))
            } else {
                head
            };
            let address = format!(
                "广东省{town_name}{}{}{}号",
                v.name,
                t::STREETS[rng.gen_range(0..t::STREETS.len())],
                rng.gen_range(1..300)
            );
            let phone = (rng.gen_range(0..10) < 8).then(|| {
                format!(
                    "13{}{:08}",
                    rng.gen_range(0..10),
                    rng.gen_range(0..100_000_000)
                )
            });
            let created = at(rng, since.max(first - 1));
            rows.households.rows.push(vec![
                id.into(),
                place.into(),
                head.into(),
                rng.gen_range(1..7i64).into(),
                V::B(self.store.sealer.seal(address.as_bytes())?),
                mask_address(&address).into(),
                match &phone {
                    Some(p) => V::B(self.store.sealer.seal(p.as_bytes())?),
                    None => V::N,
                },
                phone.as_deref().map(|p| self.store.sealer.blind(p)).into(),
                phone.as_deref().map(mask_phone).into(),
                date(since).into(),
                closed.map(date).into(),
                closed.map(|_| "迁出").into(),
                created.into(),
                created.into(),
            ]);
            self.totals.households += 1;
            if closed.is_none() {
                count(c, code, METRIC_OPEN, "current", 1);
            }
            if v.members.is_empty() {
                continue;
            }
            let who = v.members[i % v.members.len()];
            let from = since.max(first);
            rows.assignments.rows.push(vec![
                id.into(),
                who.into(),
                date(from).into(),
                at(rng, from).into(),
            ]);
            self.totals.assignments += 1;
            let last = closed.unwrap_or(self.today);
            let share = (last - from + 1) as f64 / (YEARS * 365) as f64;
            let want = visits_each * share * rng.gen_range(0.5..1.5);
            let k = want.floor() as i64 + i64::from(rng.gen_bool(want.fract()));
            let mut days: Vec<i64> = (0..k).map(|_| rng.gen_range(from..=last)).collect();
            days.sort_unstable();
            for day in days {
                let (mode, by) = crate::households::visit(rng, &v.members, who);
                let on = date(day);
                count(c, code, &format!("{VISITS_PREFIX}{mode}"), &on[..7], 1);
                rows.visits.rows.push(vec![
                    id.into(),
                    by.into(),
                    on.into(),
                    mode.into(),
                    (rng.gen_range(0..15) == 0)
                        .then(|| t::RAISED[rng.gen_range(0..t::RAISED.len())])
                        .into(),
                    at(rng, day).into(),
                ]);
                self.totals.visits += 1;
            }
        }
        Ok(())
    }
}
