//! Realistic names, companies, regions and industries, Chinese and English, from a seeded RNG
//! so demo data is the same on every machine.

use rand::{Rng, seq::SliceRandom};

/// (hanzi, pinyin)
const SURNAMES: [(&str, &str); 24] = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("胡", "hu"),
    ("朱", "zhu"),
    ("高", "gao"),
    ("林", "lin"),
    ("何", "he"),
    ("郭", "guo"),
    ("马", "ma"),
    ("罗", "luo"),
    ("梁", "liang"),
    ("宋", "song"),
    ("郑", "zheng"),
    ("谢", "xie"),
];

const GIVEN_NAMES: [(&str, &str); 30] = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀英", "xiuying"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀兰", "xiulan"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("建华", "jianhua"),
    ("晓东", "xiaodong"),
    ("海燕", "haiyan"),
    ("志强", "zhiqiang"),
    ("雪梅", "xuemei"),
    ("子轩", "zixuan"),
    ("雨婷", "yuting"),
];

const ENGLISH_FIRST: [&str; 20] = [
    "Emily", "James", "Olivia", "Daniel", "Sophia", "Michael", "Grace", "David", "Chloe", "Ryan",
    "Hannah", "Kevin", "Amy", "Jason", "Linda", "Eric", "Vivian", "Tony", "Cindy", "Peter",
];

const ENGLISH_LAST: [&str; 16] = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Chen", "Wong", "Lee", "Walker", "Hall",
    "Young", "King", "Wright", "Scott", "Green", "Baker",
];

/// (zh, en) pairs of regions a Chinese SME sells into.
pub const REGIONS: [(&str, &str); 30] = [
    ("上海", "Shanghai"),
    ("北京", "Beijing"),
    ("广东·深圳", "Shenzhen, Guangdong"),
    ("广东·广州", "Guangzhou, Guangdong"),
    ("广东·东莞", "Dongguan, Guangdong"),
    ("广东·佛山", "Foshan, Guangdong"),
    ("浙江·杭州", "Hangzhou, Zhejiang"),
    ("浙江·宁波", "Ningbo, Zhejiang"),
    ("浙江·温州", "Wenzhou, Zhejiang"),
    ("江苏·苏州", "Suzhou, Jiangsu"),
    ("江苏·南京", "Nanjing, Jiangsu"),
    ("江苏·无锡", "Wuxi, Jiangsu"),
    ("四川·成都", "Chengdu, Sichuan"),
    ("重庆", "Chongqing"),
    ("湖北·武汉", "Wuhan, Hubei"),
    ("湖南·长沙", "Changsha, Hunan"),
    ("福建·厦门", "Xiamen, Fujian"),
    ("福建·福州", "Fuzhou, Fujian"),
    ("山东·青岛", "Qingdao, Shandong"),
    ("山东·济南", "Jinan, Shandong"),
    ("天津", "Tianjin"),
    ("河南·郑州", "Zhengzhou, Henan"),
    ("陕西·西安", "Xi'an, Shaanxi"),
    ("安徽·合肥", "Hefei, Anhui"),
    ("辽宁·大连", "Dalian, Liaoning"),
    ("云南·昆明", "Kunming, Yunnan"),
    ("广西·南宁", "Nanning, Guangxi"),
    ("香港", "Hong Kong"),
    ("台湾·台北", "Taipei, Taiwan"),
    ("新加坡", "Singapore"),
];

/// (zh, en) industries.
pub const INDUSTRIES: [(&str, &str); 10] = [
    ("制造业", "Manufacturing"),
    ("零售", "Retail"),
    ("软件与信息服务", "Software & IT services"),
    ("金融", "Finance"),
    ("医疗健康", "Healthcare"),
    ("教育", "Education"),
    ("物流", "Logistics"),
    ("餐饮", "Food service"),
    ("房地产", "Real estate"),
    ("能源", "Energy"),
];

const COMPANY_WORDS: [&str; 64] = [
    "华信",
    "联创",
    "恒通",
    "鼎盛",
    "瑞丰",
    "东方",
    "金桥",
    "宏达",
    "新世纪",
    "天元",
    "博远",
    "中科",
    "汇丰源",
    "佳和",
    "锦程",
    "星辰",
    "云栖",
    "海晨",
    "澄湖",
    "远方",
    "长风",
    "青禾",
    "明德",
    "百川",
    "万象",
    "同创",
    "信达",
    "永安",
    "凯旋",
    "盛世",
    "嘉禾",
    "鸿运",
    "德润",
    "启航",
    "越秀",
    "润泽",
    "天和",
    "安泰",
    "华夏",
    "卓越",
    "腾飞",
    "众合",
    "九州",
    "正源",
    "朗润",
    "翠微",
    "蓝海",
    "紫光",
    "金鼎",
    "银河",
    "宝丰",
    "龙腾",
    "凤翔",
    "松柏",
    "梧桐",
    "清源",
    "致远",
    "博雅",
    "和信",
    "聚贤",
    "兴业",
    "晨光",
    "海纳",
    "乐融",
];

const COMPANY_SUFFIX: [&str; 12] = [
    "科技",
    "贸易",
    "实业",
    "电子",
    "物流",
    "餐饮管理",
    "医疗器械",
    "教育咨询",
    "纺织",
    "食品",
    "建材",
    "信息技术",
];

const ENGLISH_COMPANY_WORDS: [&str; 12] = [
    "Northwind",
    "Bluebird",
    "Summit",
    "Harbor",
    "Evergreen",
    "Pioneer",
    "Crescent",
    "Lighthouse",
    "Golden Gate",
    "Silverline",
    "Maple",
    "Orchid",
];

const ENGLISH_COMPANY_SUFFIX: [&str; 6] =
    ["Trading Ltd", "Technologies", "Logistics Co.", "Foods Pte Ltd", "Medical Supply", "Group"];

/// A generated person: display name and an ASCII email local part.
pub struct Person {
    pub display_name: String,
    pub email_local: String,
}

/// Three in four are Chinese names (written surname first), the rest English.
pub fn person(rng: &mut impl Rng) -> Person {
    if rng.gen_ratio(3, 4) {
        let (surname, surname_pinyin) = *SURNAMES.choose(rng).expect("non-empty");
        let (given, given_pinyin) = *GIVEN_NAMES.choose(rng).expect("non-empty");
        Person {
            display_name: format!("{surname}{given}"),
            email_local: format!("{given_pinyin}.{surname_pinyin}"),
        }
    } else {
        let first = *ENGLISH_FIRST.choose(rng).expect("non-empty");
        let last = *ENGLISH_LAST.choose(rng).expect("non-empty");
        Person {
            display_name: format!("{first} {last}"),
            email_local: format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
        }
    }
}

/// A company name, Chinese (with its city) or English.
pub fn company(rng: &mut impl Rng) -> String {
    if rng.gen_ratio(4, 5) {
        let (region, _) = *REGIONS.choose(rng).expect("non-empty");
        let city = region.rsplit('·').next().unwrap_or(region);
        let word = COMPANY_WORDS.choose(rng).expect("non-empty");
        // Half the names join two words, as many real trading names do ("华信鼎盛").
        let second =
            if rng.gen_bool(0.5) { *COMPANY_WORDS.choose(rng).expect("non-empty") } else { "" };
        let suffix = COMPANY_SUFFIX.choose(rng).expect("non-empty");
        format!("{city}{word}{second}{suffix}有限公司")
    } else {
        let word = ENGLISH_COMPANY_WORDS.choose(rng).expect("non-empty");
        let suffix = ENGLISH_COMPANY_SUFFIX.choose(rng).expect("non-empty");
        format!("{word} {suffix}")
    }
}

/// A mainland mobile number: 1[3-9]x, eleven digits.
pub fn mobile(rng: &mut impl Rng) -> String {
    format!("1{}{:09}", rng.gen_range(3..=9), rng.gen_range(0..1_000_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn generated_data_is_deterministic_and_plausible() {
        let mut a = StdRng::seed_from_u64(1);
        let mut b = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let (p, q) = (person(&mut a), person(&mut b));
            assert_eq!(p.display_name, q.display_name);
            assert!(p.email_local.is_ascii() && p.email_local.contains('.'));
            let phone = mobile(&mut a);
            assert_eq!(phone.len(), 11);
            assert!(phone.starts_with('1'));
            let _ = mobile(&mut b);
            assert_eq!(company(&mut a), company(&mut b));
        }
    }
}
