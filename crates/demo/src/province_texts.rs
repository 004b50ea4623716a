//! Words of the province's problem list and visits: what residents report, by category (the codes
//! of `voice_services`), where, and how they put it; who gets a problem to deal with. A report is
//! a place, a matter and a tail, so a few thousand distinct texts, each cut into words once.

use rand::Rng;

/// (category, matters reported under it).
pub(crate) const MATTERS: &[(&str, &[&str])] = &[
    (
        "road",
        &[
            "路灯坏了，晚上出行不安全",
            "村道有坑洼，下雨积水",
            "井盖松动，车辆经过响声很大",
            "减速带损坏，车速太快",
            "桥面护栏生锈断裂",
            "公交站牌被撞歪了",
        ],
    ),
    (
        "sanitation",
        &[
            "垃圾桶满了好几天没人清运",
            "有人乱倒建筑垃圾",
            "公厕脏乱，没人打扫",
            "河涌发黑发臭",
            "绿化带杂草丛生，蚊虫多",
        ],
    ),
    (
        "water",
        &[
            "自来水水压低，高层用水困难",
            "排水沟堵塞，雨天积水",
            "水管爆裂漏水",
            "一下大雨就水浸街",
            "自来水有异味发黄",
        ],
    ),
    (
        "safety",
        &[
            "楼道堆放杂物，消防通道被堵",
            "电线私拉乱接，存在火灾隐患",
            "鱼塘边没有护栏，小孩容易落水",
            "旧房墙体开裂，担心倒塌",
            "电动车在楼道充电",
        ],
    ),
    (
        "livelihood",
        &[
            "老房子屋顶漏水，需要帮助维修",
            "想了解高龄津贴怎么申请",
            "低保复核材料不知道怎么准备",
            "残疾人两项补贴没有到账",
            "医保缴费遇到问题",
            "孤寡老人无人照顾",
        ],
    ),
    (
        "policy",
        &[
            "需要开具居住证明，不知道去哪里办",
            "孩子入学积分政策咨询",
            "宅基地审批流程咨询",
            "灵活就业社保怎么交",
        ],
    ),
    (
        "dispute",
        &[
            "邻居装修噪音影响休息",
            "宅基地边界有纠纷，请求调解",
            "邻居养狗扰民",
            "承包土地租金纠纷",
        ],
    ),
    (
        "village_affairs",
        &[
            "村务公开栏很久没有更新",
            "集体土地出租收益想了解明细",
            "村道硬化工程进度慢",
            "分红方案有意见",
        ],
    ),
    (
        "party",
        &[
            "联系户党员很久没来走访",
            "希望党员志愿者帮助清理村道",
            "对党员活动室开放时间有建议",
        ],
    ),
    (
        "other",
        &[
            "希望增设老年人活动场地",
            "建议在文化广场安装健身器材",
            "流浪猫狗太多",
        ],
    ),
];

/// How often each category comes up, in per cent (same order as `MATTERS`).
const WEIGHTS: [u32; 10] = [20, 18, 12, 9, 12, 8, 8, 5, 3, 5];

const WHERE: &[&str] = &[
    "村口",
    "村委会旁边",
    "文化广场",
    "小学门口",
    "市场附近",
    "河涌边",
    "祠堂前",
    "老人活动中心",
    "公交站旁",
    "新村路",
    "东街",
    "西街",
    "南巷",
    "北巷",
];

const TAILS: &[&str] = &[
    "",
    "，希望尽快处理",
    "，之前已经反映过一次",
    "，影响群众出行",
    "，请派人来看看",
    "，麻烦跟进一下",
    "，很多村民都有意见",
];

/// Who deals with a problem.
pub(crate) const OWNERS: &[&str] = &[
    "村委会",
    "村保洁队",
    "网格员",
    "镇城建办",
    "镇综治办",
    "村民小组长",
    "供水公司",
    "镇社保所",
    "驻村工作队",
];

pub(crate) const RESOLVED: &[&str] = &[
    "已现场处理并回访",
    "已联系责任单位维修完毕",
    "已上门解释政策并协助办理",
    "已组织双方调解，达成一致",
    "已清理完毕，纳入日常巡查",
];

pub(crate) const OBJECTIONS: &[&str] = &["问题又出现了", "只处理了一半", "还是没有人来"];

/// What a visit raised (one visit in fifteen raises something).
pub(crate) const RAISED: &[&str] = &[
    "巷口路灯不亮，晚上出行不便",
    "排水沟堵塞，雨天积水",
    "希望增设老年人活动场地",
    "医保缴费流程咨询",
    "邻里宅基地边界纠纷",
    "门前道路破损需修补",
    "垃圾收集点清运不及时",
    "孩子入学政策咨询",
];

pub(crate) const STREETS: &[&str] = &[
    "东街",
    "西街",
    "南巷",
    "北巷",
    "新村路",
    "围仔",
    "上村",
    "下村",
];

/// A report: its category, text and location.
pub(crate) fn report(rng: &mut impl Rng) -> (&'static str, String, &'static str) {
    let mut roll = rng.gen_range(0..WEIGHTS.iter().sum::<u32>());
    let mut k = 0;
    while roll >= WEIGHTS[k] {
        roll -= WEIGHTS[k];
        k += 1;
    }
    let (category, matters) = MATTERS[k];
    let at = WHERE[rng.gen_range(0..WHERE.len())];
    let what = matters[rng.gen_range(0..matters.len())];
    let tail = TAILS[rng.gen_range(0..TAILS.len())];
    (category, format!("{at}{what}{tail}"), at)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_category_is_weighted() {
        assert_eq!(super::WEIGHTS.len(), super::MATTERS.len());
        assert_eq!(super::WEIGHTS.iter().sum::<u32>(), 100);
    }
}
