//! Synthetic Chinese resident ID cards for OCR tests and benchmarks.
//!
//! Random but internally valid identities (real region codes, real dates, correct check
//! characters) are drawn onto both card sides in the printed layout with a CJK font, then
//! "photographed": placed on a background with rotation, perspective, blur, noise, glare and
//! JPEG compression. The truth travels with every image so accuracy can be measured.

#![allow(dead_code)] // each test binary uses a different part of the generator

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_filled_ellipse_mut, draw_text_mut};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// Card canvas: 10 pixels per millimetre of the 85.6 × 54 mm card.
pub const CARD_W: u32 = 856;
pub const CARD_H: u32 = 540;

/// Where the CJK fonts are looked for (Debian `fonts-noto-cjk`, then `fonts-wqy-microhei`).
const FONT_CANDIDATES: [(&str, u32); 3] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
];

/// The fonts the cards are drawn with.
pub struct Fonts {
    pub sans: FontVec,
}

impl Fonts {
    /// Loads a CJK font, panicking with the install hint when none is present.
    pub fn load() -> Fonts {
        for (path, index) in FONT_CANDIDATES {
            if let Ok(bytes) = std::fs::read(path) {
                let font = FontVec::try_from_vec_and_index(bytes, index)
                    .unwrap_or_else(|e| panic!("{path} is not a usable font: {e}"));
                return Fonts { sans: font };
            }
        }
        panic!("no CJK font found; run scripts/setup_vision_deps.sh (installs fonts-noto-cjk)");
    }
}

/// Everything printed on one card, in FaceID's formats.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    pub sex: String,
    pub nation: String,
    pub birth: (u32, u32, u32),
    /// The address as printed, wrapped into card lines.
    pub address_lines: Vec<String>,
    pub id_num: String,
    pub authority: String,
    pub valid_from: (u32, u32, u32),
    /// `None` for a long-term (长期) card.
    pub valid_to: Option<(u32, u32, u32)>,
}

impl Identity {
    pub fn birth_text(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y}/{m}/{d}")
    }

    pub fn address(&self) -> String {
        self.address_lines.concat()
    }

    pub fn valid_date_text(&self) -> String {
        let date = |(y, m, d): (u32, u32, u32)| format!("{y}.{m:02}.{d:02}");
        match self.valid_to {
            Some(end) => format!("{}-{}", date(self.valid_from), date(end)),
            None => format!("{}-长期", date(self.valid_from)),
        }
    }
}

/// (region code, address prefix, issuing authority).
const REGIONS: [(&str, &str, &str); 30] = [
    ("110105", "北京市朝阳区", "北京市公安局朝阳分局"),
    ("110108", "北京市海淀区", "北京市公安局海淀分局"),
    ("120101", "天津市和平区", "天津市公安局和平分局"),
    ("130102", "河北省石家庄市长安区", "石家庄市公安局长安分局"),
    ("140105", "山西省太原市小店区", "太原市公安局小店分局"),
    (
        "150102",
        "内蒙古自治区呼和浩特市新城区",
        "呼和浩特市公安局新城分局",
    ),
    ("210102", "辽宁省沈阳市和平区", "沈阳市公安局和平分局"),
    ("220102", "吉林省长春市南关区", "长春市公安局南关分局"),
    ("230103", "黑龙江省哈尔滨市南岗区", "哈尔滨市公安局南岗分局"),
    ("310115", "上海市浦东新区", "上海市公安局浦东分局"),
    ("320102", "江苏省南京市玄武区", "南京市公安局玄武分局"),
    ("330106", "浙江省杭州市西湖区", "杭州市公安局西湖分局"),
    ("340104", "安徽省合肥市蜀山区", "合肥市公安局蜀山分局"),
    ("350102", "福建省福州市鼓楼区", "福州市公安局鼓楼分局"),
    ("360102", "江西省南昌市东湖区", "南昌市公安局东湖分局"),
    ("370102", "山东省济南市历下区", "济南市公安局历下分局"),
    ("410502", "河南省安阳市文峰区", "安阳市公安局文峰分局"),
    ("420106", "湖北省武汉市武昌区", "武汉市公安局武昌分局"),
    ("430104", "湖南省长沙市岳麓区", "长沙市公安局岳麓分局"),
    ("440305", "广东省深圳市南山区", "深圳市公安局南山分局"),
    ("440106", "广东省广州市天河区", "广州市公安局天河分局"),
    (
        "450103",
        "广西壮族自治区南宁市青秀区",
        "南宁市公安局青秀分局",
    ),
    ("460106", "海南省海口市龙华区", "海口市公安局龙华分局"),
    ("500103", "重庆市渝中区", "重庆市公安局渝中区分局"),
    ("510107", "四川省成都市武侯区", "成都市公安局武侯区分局"),
    ("520102", "贵州省贵阳市南明区", "贵阳市公安局南明分局"),
    ("530102", "云南省昆明市五华区", "昆明市公安局五华分局"),
    ("610113", "陕西省西安市雁塔区", "西安市公安局雁塔分局"),
    ("620102", "甘肃省兰州市城关区", "兰州市公安局城关分局"),
    (
        "650102",
        "新疆维吾尔自治区乌鲁木齐市天山区",
        "乌鲁木齐市公安局天山区分局",
    ),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const COMPOUND_SURNAMES: [&str; 4] = ["欧阳", "司马", "诸葛", "上官"];
const GIVEN_NAME_CHARS: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文红梅玉林辉鹏飞宇浩然子涵欣怡梓萱一诺博文思远晨阳佳琪雨婷晓东志强海燕俊杰丹丹春秋雪松嘉怡天佑瑞鑫雅婷宏伟立新卫东永刚玉兰淑珍凤英秀兰家豪泽宇昊天美玲婉清";
const MINORITY_NATIONS: [&str; 20] = [
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "柯尔克孜",
];
const STREETS: [&str; 16] = [
    "中山路",
    "人民路",
    "解放路",
    "建设路",
    "和平街",
    "文化路",
    "胜利街",
    "新华路",
    "幸福里",
    "长江路",
    "黄河大道",
    "朝阳北路",
    "光明巷",
    "学府街",
    "花园路",
    "东风大街",
];
/// Characters per address line on the card.
const ADDRESS_LINE_CHARS: usize = 11;

fn random_date(rng: &mut StdRng, years: std::ops::RangeInclusive<u32>) -> (u32, u32, u32) {
    let year = rng.gen_range(years);
    let month = rng.gen_range(1..=12);
    let day = rng.gen_range(1..=days_in_month(year, month));
    (year, month, day)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The GB 11643 check character, computed independently of the engine's own implementation.
pub fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap() * ((1u32 << (17 - i)) % 11))
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

fn pick_chars(rng: &mut StdRng, pool: &str, count: usize) -> String {
    let chars: Vec<char> = pool.chars().collect();
    (0..count).map(|_| *chars.choose(rng).unwrap()).collect()
}

/// A random identity whose fields are consistent with each other.
pub fn random_identity(rng: &mut StdRng) -> Identity {
    let (code, place, authority) = *REGIONS.choose(rng).unwrap();
    let surname = if rng.gen_bool(0.05) {
        COMPOUND_SURNAMES.choose(rng).unwrap().to_string()
    } else {
        pick_chars(rng, SURNAMES, 1)
    };
    let given_len = if rng.gen_bool(0.3) { 1 } else { 2 };
    let name = format!("{surname}{}", pick_chars(rng, GIVEN_NAME_CHARS, given_len));
    let male = rng.gen_bool(0.5);
    let nation = if rng.gen_bool(0.7) {
        "汉"
    } else {
        MINORITY_NATIONS.choose(rng).unwrap()
    };
    let birth = random_date(rng, 1950..=2008);
    let sequence = rng.gen_range(0..500) * 2 + u32::from(male);
    let first17 = format!(
        "{code}{:04}{:02}{:02}{sequence:03}",
        birth.0, birth.1, birth.2
    );
    let id_num = format!("{first17}{}", check_character(&first17));

    let mut address = format!(
        "{place}{}{}号",
        STREETS.choose(rng).unwrap(),
        rng.gen_range(1..300)
    );
    if rng.gen_bool(0.5) {
        address.push_str(&format!(
            "{}栋{}单元{}室",
            rng.gen_range(1..30),
            rng.gen_range(1..6),
            rng.gen_range(101..2800)
        ));
    }
    let chars: Vec<char> = address.chars().collect();
    let address_lines = chars
        .chunks(ADDRESS_LINE_CHARS)
        .map(|c| c.iter().collect())
        .collect();

    let issue_year = rng.gen_range((birth.0 + 1).max(2005)..=2025);
    let valid_from = (issue_year, birth.1, birth.2.min(28));
    let age = issue_year - birth.0;
    let valid_to = match age {
        0..=15 => Some(5),
        16..=25 => Some(10),
        26..=45 => Some(20),
        _ => None,
    }
    .map(|years| (issue_year + years, valid_from.1, valid_from.2));
    Identity {
        name,
        sex: if male { "男" } else { "女" }.to_string(),
        nation: nation.to_string(),
        birth,
        address_lines,
        id_num,
        authority: authority.to_string(),
        valid_from,
        valid_to,
    }
}

const LABEL_BLUE: Rgb<u8> = Rgb([70, 150, 205]);
const INK: Rgb<u8> = Rgb([25, 25, 30]);

/// How a piece of text is drawn: glyph size, extra space between characters, colour and
/// extra strokes to the right for a bolder look.
#[derive(Clone, Copy)]
struct Pen {
    size: f32,
    spacing: f32,
    colour: Rgb<u8>,
    weight: u32,
}

impl Pen {
    const fn new(size: f32, spacing: f32, colour: Rgb<u8>, weight: u32) -> Pen {
        Pen {
            size,
            spacing,
            colour,
            weight,
        }
    }
}

/// Draws text with its top-left at (x, y).
fn draw(card: &mut RgbImage, fonts: &Fonts, text: &str, x: f32, y: f32, pen: Pen) {
    let scale = PxScale::from(pen.size);
    let scaled = fonts.sans.as_scaled(scale);
    let mut cursor = x;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        for dx in 0..=pen.weight {
            draw_text_mut(
                card,
                pen.colour,
                cursor as i32 + dx as i32,
                y as i32,
                scale,
                &fonts.sans,
                c.encode_utf8(&mut buf),
            );
        }
        cursor += scaled.h_advance(fonts.sans.glyph_id(c)) + pen.spacing;
    }
}

/// A light, faintly tinted background with the fine wavy guilloche of the real card.
fn card_background(rng: &mut StdRng) -> RgbImage {
    let tint = [
        rng.gen_range(-8i32..8),
        rng.gen_range(-8..8),
        rng.gen_range(-4..10),
    ];
    let phase: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let wave = ((fx * 0.045 + (fy * 0.02 + phase).sin() * 3.0).sin() * 0.5 + 0.5) * 10.0;
        let gradient = fx / CARD_W as f32 * 12.0;
        let base = [222.0, 226.0, 232.0];
        let value = |c: usize| (base[c] + tint[c] as f32 - wave - gradient).clamp(0.0, 255.0) as u8;
        Rgb([value(0), value(1), value(2)])
    })
}

/// The holder's photo: a plain backdrop with a head-and-shoulders silhouette.
fn draw_portrait(card: &mut RgbImage, rng: &mut StdRng) {
    let (x0, y0, x1, y1) = (527, 62, 792, 332);
    let backdrop = Rgb([
        rng.gen_range(190..250),
        rng.gen_range(200..250),
        rng.gen_range(215..255),
    ]);
    for y in y0..y1 {
        for x in x0..x1 {
            card.put_pixel(x, y, backdrop);
        }
    }
    let skin = Rgb([
        rng.gen_range(170..230),
        rng.gen_range(130..180),
        rng.gen_range(100..150),
    ]);
    let clothes = Rgb([
        rng.gen_range(10..90),
        rng.gen_range(10..90),
        rng.gen_range(10..120),
    ]);
    let cx = (x0 + x1) as i32 / 2;
    // Shoulders, cut at the photo's bottom edge.
    let mut shoulders = RgbImage::from_pixel(x1 - x0, y1 - y0, backdrop);
    draw_filled_ellipse_mut(
        &mut shoulders,
        (cx - x0 as i32, (y1 - y0) as i32 + 10),
        120,
        70,
        clothes,
    );
    image::imageops::replace(card, &shoulders, x0.into(), y0.into());
    draw_filled_ellipse_mut(card, (cx, 175), 62, 80, skin);
    draw_filled_ellipse_mut(card, (cx, 120), 66, 40, Rgb([20, 20, 20]));
}

/// The portrait side of the card, upright, `CARD_W × CARD_H`.
pub fn render_front(identity: &Identity, fonts: &Fonts, rng: &mut StdRng) -> RgbImage {
    let mut card = card_background(rng);
    let label = |card: &mut RgbImage, text: &str, x: f32, y: f32, spacing: f32| {
        draw(
            card,
            fonts,
            text,
            x,
            y,
            Pen::new(25.0, spacing, LABEL_BLUE, 0),
        )
    };
    label(&mut card, "姓名", 58.0, 78.0, 18.0);
    draw(
        &mut card,
        fonts,
        &identity.name,
        158.0,
        70.0,
        Pen::new(33.0, 1.0, INK, 1),
    );
    label(&mut card, "性别", 58.0, 146.0, 18.0);
    draw(
        &mut card,
        fonts,
        &identity.sex,
        158.0,
        140.0,
        Pen::new(30.0, 0.0, INK, 1),
    );
    label(&mut card, "民族", 258.0, 146.0, 18.0);
    draw(
        &mut card,
        fonts,
        &identity.nation,
        350.0,
        140.0,
        Pen::new(30.0, 0.0, INK, 1),
    );
    label(&mut card, "出生", 58.0, 214.0, 18.0);
    let (y, m, d) = identity.birth;
    // Cards are seen both with and without zero-padded months and days.
    let padded = rng.gen_bool(0.5);
    let part = |v: u32| {
        if padded {
            format!("{v:02}")
        } else {
            v.to_string()
        }
    };
    draw(
        &mut card,
        fonts,
        &y.to_string(),
        158.0,
        207.0,
        Pen::new(30.0, 1.0, INK, 0),
    );
    label(&mut card, "年", 258.0, 214.0, 0.0);
    draw(
        &mut card,
        fonts,
        &part(m),
        292.0,
        207.0,
        Pen::new(30.0, 1.0, INK, 0),
    );
    label(&mut card, "月", 336.0, 214.0, 0.0);
    draw(
        &mut card,
        fonts,
        &part(d),
        372.0,
        207.0,
        Pen::new(30.0, 1.0, INK, 0),
    );
    label(&mut card, "日", 416.0, 214.0, 0.0);
    label(&mut card, "住址", 58.0, 282.0, 18.0);
    for (i, line) in identity.address_lines.iter().enumerate() {
        draw(
            &mut card,
            fonts,
            line,
            158.0,
            275.0 + 38.0 * i as f32,
            Pen::new(29.0, 0.5, INK, 1),
        );
    }
    label(&mut card, "公民身份号码", 58.0, 457.0, 4.0);
    // Digits on a fixed pitch, as printed: 2.73 % of the card width apart, the first centred
    // at 37.4 % (measured on the mock card).
    let digit_size = 34.0;
    let advance = fonts
        .sans
        .as_scaled(PxScale::from(digit_size))
        .h_advance(fonts.sans.glyph_id('0'));
    let pitch = 0.0273 * CARD_W as f32;
    draw(
        &mut card,
        fonts,
        &identity.id_num,
        0.374 * CARD_W as f32 - advance / 2.0,
        448.0,
        Pen::new(digit_size, pitch - advance, INK, 1),
    );
    draw_portrait(&mut card, rng);
    card
}

/// The national-emblem side of the card, upright, `CARD_W × CARD_H`.
pub fn render_back(identity: &Identity, fonts: &Fonts, rng: &mut StdRng) -> RgbImage {
    let mut card = card_background(rng);
    let red = Rgb([200, 40, 40]);
    let gold = Rgb([230, 190, 60]);
    draw_filled_circle_mut(&mut card, (120, 115), 72, red);
    draw_filled_circle_mut(&mut card, (120, 115), 52, gold);
    draw_filled_circle_mut(&mut card, (120, 115), 30, red);
    draw(
        &mut card,
        fonts,
        "中华人民共和国",
        310.0,
        62.0,
        Pen::new(42.0, 6.0, INK, 1),
    );
    draw(
        &mut card,
        fonts,
        "居民身份证",
        260.0,
        135.0,
        Pen::new(66.0, 14.0, INK, 2),
    );
    draw(
        &mut card,
        fonts,
        "签发机关",
        184.0,
        399.0,
        Pen::new(25.0, 6.0, INK, 0),
    );
    draw(
        &mut card,
        fonts,
        &identity.authority,
        330.0,
        396.0,
        Pen::new(28.0, 0.5, INK, 0),
    );
    draw(
        &mut card,
        fonts,
        "有效期限",
        184.0,
        455.0,
        Pen::new(25.0, 6.0, INK, 0),
    );
    draw(
        &mut card,
        fonts,
        &identity.valid_date_text(),
        330.0,
        452.0,
        Pen::new(28.0, 1.0, INK, 0),
    );
    card
}

/// How hard the simulated photograph is.
#[derive(Debug, Clone)]
pub struct Distortion {
    pub max_rotation_deg: f32,
    /// Chance that the card lies upside down.
    pub upside_down_chance: f64,
    /// Corner jitter for perspective, as a share of the card width.
    pub max_perspective: f32,
    pub max_blur_sigma: f32,
    pub max_noise: f32,
    pub glare_chance: f64,
    pub jpeg_quality: std::ops::RangeInclusive<u8>,
}

impl Default for Distortion {
    fn default() -> Self {
        Distortion {
            max_rotation_deg: 10.0,
            upside_down_chance: 0.1,
            max_perspective: 0.035,
            max_blur_sigma: 1.2,
            max_noise: 6.0,
            glare_chance: 0.25,
            jpeg_quality: 45..=95,
        }
    }
}

/// A photographed card: the image (after JPEG compression) and where the card's corners landed
/// (top-left, top-right, bottom-right, bottom-left of the upright card).
pub struct Photo {
    pub image: RgbImage,
    pub corners: [(f32, f32); 4],
}

/// Places the card on a background as a phone photo would show it.
pub fn photograph(card: &RgbImage, rng: &mut StdRng, distortion: &Distortion) -> Photo {
    let card_width = rng.gen_range(620.0..980.0f32);
    let scale = card_width / card.width() as f32;
    let (cw, ch) = (card_width, card.height() as f32 * scale);
    let canvas_w = (cw * rng.gen_range(1.15..1.45)) as u32;
    let canvas_h = (ch * rng.gen_range(1.25..1.6)) as u32;
    let mut angle = rng
        .gen_range(-distortion.max_rotation_deg..=distortion.max_rotation_deg)
        .to_radians();
    if rng.gen_bool(distortion.upside_down_chance) {
        angle += std::f32::consts::PI;
    }
    let (sin, cos) = angle.sin_cos();
    let (mx, my) = (canvas_w as f32 / 2.0, canvas_h as f32 / 2.0);
    let jitter = distortion.max_perspective * cw;
    let corners = [
        (-cw / 2.0, -ch / 2.0),
        (cw / 2.0, -ch / 2.0),
        (cw / 2.0, ch / 2.0),
        (-cw / 2.0, ch / 2.0),
    ]
    .map(|(x, y)| {
        let (x, y) = (
            x + rng.gen_range(-jitter..=jitter),
            y + rng.gen_range(-jitter..=jitter),
        );
        (mx + x * cos - y * sin, my + x * sin + y * cos)
    });

    let mut photo = background(rng, canvas_w, canvas_h);
    let (w, h) = (card.width() as f32, card.height() as f32);
    let projection =
        Projection::from_control_points([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], corners)
            .expect("card corners form a proper quadrilateral");
    let rgba: RgbaImage = image::DynamicImage::ImageRgb8(card.clone()).to_rgba8();
    let mut warped = RgbaImage::new(canvas_w, canvas_h);
    warp_into(
        &rgba,
        &projection,
        Interpolation::Bilinear,
        Rgba([0, 0, 0, 0]),
        &mut warped,
    );
    for (x, y, p) in warped.enumerate_pixels() {
        let alpha = f32::from(p[3]) / 255.0;
        if alpha > 0.0 {
            let under = photo.get_pixel(x, y);
            let mix =
                |c: usize| (f32::from(p[c]) * alpha + f32::from(under[c]) * (1.0 - alpha)) as u8;
            photo.put_pixel(x, y, Rgb([mix(0), mix(1), mix(2)]));
        }
    }
    if rng.gen_bool(distortion.glare_chance) {
        add_glare(&mut photo, rng, corners);
    }
    let sigma = rng.gen_range(0.0..=distortion.max_blur_sigma);
    if sigma > 0.3 {
        photo = imageproc::filter::gaussian_blur_f32(&photo, sigma);
    }
    let noise = rng.gen_range(0.0..=distortion.max_noise);
    add_noise(&mut photo, rng, noise);
    let quality = rng.gen_range(distortion.jpeg_quality.clone());
    Photo {
        image: jpeg_round_trip(&photo, quality),
        corners,
    }
}

fn background(rng: &mut StdRng, width: u32, height: u32) -> RgbImage {
    let base = [
        rng.gen_range(40..200),
        rng.gen_range(40..200),
        rng.gen_range(40..200),
    ];
    let slope = rng.gen_range(-40.0..40.0f32);
    RgbImage::from_fn(width, height, |x, y| {
        let shade = slope * (x as f32 / width as f32 - 0.5) + 10.0 * ((y as f32) * 0.05).sin();
        let value = |c: usize| (base[c] as f32 + shade).clamp(0.0, 255.0) as u8;
        Rgb([value(0), value(1), value(2)])
    })
}

/// A soft, saturated highlight somewhere on the card.
fn add_glare(photo: &mut RgbImage, rng: &mut StdRng, corners: [(f32, f32); 4]) {
    let t: f32 = rng.gen_range(0.1..0.9);
    let s: f32 = rng.gen_range(0.1..0.9);
    let lerp =
        |a: (f32, f32), b: (f32, f32), t: f32| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    let centre = lerp(
        lerp(corners[0], corners[1], t),
        lerp(corners[3], corners[2], t),
        s,
    );
    let radius = rng.gen_range(40.0..110.0f32);
    let strength = rng.gen_range(90.0..200.0f32);
    for (x, y, p) in photo.enumerate_pixels_mut() {
        let d2 = (x as f32 - centre.0).powi(2) + (y as f32 - centre.1).powi(2);
        let boost = strength * (-d2 / (2.0 * radius * radius)).exp();
        if boost > 1.0 {
            for c in 0..3 {
                p[c] = (f32::from(p[c]) + boost).min(255.0) as u8;
            }
        }
    }
}

fn add_noise(photo: &mut RgbImage, rng: &mut StdRng, amount: f32) {
    if amount < 0.5 {
        return;
    }
    for p in photo.pixels_mut() {
        // Sum of uniforms: cheap, roughly Gaussian.
        let n: f32 = (0..3).map(|_| rng.gen_range(-1.0..1.0f32)).sum::<f32>() * amount / 1.7;
        for c in 0..3 {
            p[c] = (f32::from(p[c]) + n).clamp(0.0, 255.0) as u8;
        }
    }
}

pub fn jpeg_bytes(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .expect("JPEG encoding of an in-memory image");
    bytes
}

fn jpeg_round_trip(image: &RgbImage, quality: u8) -> RgbImage {
    image::load_from_memory(&jpeg_bytes(image, quality))
        .expect("decoding our own JPEG")
        .to_rgb8()
}

/// Turns a colour photo into a greyscale "photocopy".
pub fn photocopy(image: &RgbImage) -> RgbImage {
    let grey = image::imageops::grayscale(image);
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let v = grey.get_pixel(x, y)[0];
        Rgb([v, v, v])
    })
}

/// Maps a point given in card fractions (`u` across, `v` down) into the photo through the
/// card's corners (bilinear, close enough for the small perspective of `photograph`).
pub fn card_point(corners: [(f32, f32); 4], u: f32, v: f32) -> (f32, f32) {
    let lerp =
        |a: (f32, f32), b: (f32, f32), t: f32| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    lerp(
        lerp(corners[0], corners[1], u),
        lerp(corners[3], corners[2], u),
        v,
    )
}

/// A photo shown on an LCD and photographed again.
///
/// The photo is scaled to the screen's resolution; every screen pixel is three vertical R, G,
/// B sub-pixel stripes with dark gaps between them and a dark row (the black matrix) below,
/// seen through a slight gamma change and colour cast. The camera looks at the screen slightly
/// turned; its lens blurs the stripes a little and each of its pixels averages the light over
/// its footprint, a little more than two stripes wide: the pixel grid is too fine for the
/// sensor and folds back into a coarser moiré. Then sensor noise and JPEG.
pub fn reshoot_screen(photo: &Photo, rng: &mut StdRng) -> Photo {
    let src = &photo.image;
    // Screen pixels across the shown photo: about one per photo pixel, as on a phone.
    let screen_w = (src.width() as f32 * rng.gen_range(0.85..1.1f32)) as u32;
    let screen_h =
        ((screen_w as f32 * src.height() as f32 / src.width() as f32).round() as u32).max(1);
    let shown = image::imageops::resize(
        src,
        screen_w,
        screen_h,
        image::imageops::FilterType::Triangle,
    );
    let gamma = rng.gen_range(0.85..1.15f32);
    let cast = [
        rng.gen_range(0.92..1.0f32),
        rng.gen_range(0.95..1.0f32),
        rng.gen_range(0.97..1.05f32),
    ];
    // The screen drawn in units of one sub-pixel stripe (a screen pixel is 3 × 3 units), each
    // unit holding the light of its one lit channel times the share of it that is lit.
    let stripe_lit = 1.0 - rng.gen_range(0.1..0.25f32);
    let matrix = rng.gen_range(0.3..0.6f32);
    let lit_share = stripe_lit * (3.0 - matrix) / 9.0;
    let screen = RgbImage::from_fn(screen_w * 3, screen_h * 3, |u, v| {
        let p = shown.get_pixel(u / 3, v / 3);
        let channel = (u % 3) as usize;
        let rows_lit = if v % 3 == 2 { 1.0 - matrix } else { 1.0 };
        let light = ((f32::from(p[channel]) / 255.0).powf(gamma) * cast[channel]).min(1.0);
        let mut out = Rgb([0, 0, 0]);
        out[channel] = (light * stripe_lit * rows_lit * 255.0).round() as u8;
        out
    });
    // Screen units per camera pixel: a screen pixel spans 1.15 to 1.6 camera pixels.
    let units_per_px = rng.gen_range(1.9..2.6f32);
    let lens_sigma = rng.gen_range(0.3..0.45f32) * units_per_px;
    let screen = imageproc::filter::gaussian_blur_f32(&screen, lens_sigma);
    let angle = rng.gen_range(-3.0..3.0f32).to_radians();
    let (sin, cos) = angle.sin_cos();
    let screen_units = (screen.width() as f32, screen.height() as f32);
    let margin = 1.08;
    let out_w = (screen_units.0 / units_per_px * margin) as u32;
    let out_h = (screen_units.1 / units_per_px * margin) as u32;
    let (ocx, ocy) = (out_w as f32 / 2.0, out_h as f32 / 2.0);
    let (scx, scy) = (screen_units.0 / 2.0, screen_units.1 / 2.0);
    // Camera pixel → screen units, and back for the card's corners.
    let to_screen = |x: f32, y: f32| {
        let (dx, dy) = ((x - ocx) * units_per_px, (y - ocy) * units_per_px);
        (scx + dx * cos - dy * sin, scy + dx * sin + dy * cos)
    };
    let to_camera = |u: f32, v: f32| {
        let (du, dv) = (u - scx, v - scy);
        (
            ocx + (du * cos + dv * sin) / units_per_px,
            ocy + (-du * sin + dv * cos) / units_per_px,
        )
    };
    let exposure = rng.gen_range(0.85..1.0f32) / lit_share;
    let bezel = [12.0, 12.0, 14.0];
    const SAMPLES: u32 = 3;
    let mut shot = RgbImage::from_fn(out_w, out_h, |x, y| {
        let mut sum = [0.0f32; 3];
        let mut on_screen = 0;
        for sy in 0..SAMPLES {
            for sx in 0..SAMPLES {
                let fx = x as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                let fy = y as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                let (u, v) = to_screen(fx, fy);
                if u < 0.0 || v < 0.0 || u >= screen_units.0 - 1.0 || v >= screen_units.1 - 1.0 {
                    continue;
                }
                on_screen += 1;
                // Bilinear between the four nearest units.
                let (u0, v0) = (u.floor(), v.floor());
                let (a, b) = (u - u0, v - v0);
                let (u0, v0) = (u0 as u32, v0 as u32);
                for (du, dv, weight) in [
                    (0, 0, (1.0 - a) * (1.0 - b)),
                    (1, 0, a * (1.0 - b)),
                    (0, 1, (1.0 - a) * b),
                    (1, 1, a * b),
                ] {
                    let p = screen.get_pixel(u0 + du, v0 + dv);
                    for c in 0..3 {
                        sum[c] += weight * f32::from(p[c]);
                    }
                }
            }
        }
        let n = (SAMPLES * SAMPLES) as f32;
        let share = on_screen as f32 / n;
        let value = |c: usize| (sum[c] / n * exposure + bezel[c] * (1.0 - share)).clamp(0.0, 255.0);
        Rgb([0, 1, 2].map(|c| value(c) as u8))
    });
    let noise = rng.gen_range(1.0..4.0f32);
    add_noise(&mut shot, rng, noise);
    let quality = rng.gen_range(75..=95);
    let scale = (
        3.0 * screen_w as f32 / src.width() as f32,
        3.0 * screen_h as f32 / src.height() as f32,
    );
    let corners = photo
        .corners
        .map(|(x, y)| to_camera(x * scale.0, y * scale.1));
    Photo {
        image: jpeg_round_trip(&shot, quality),
        corners,
    }
}

/// Lays a shaded, skin-toned thumb over the card from its left or top edge, short of the ID
/// number, then re-encodes the photo.
pub fn occlude_with_thumb(photo: &Photo, rng: &mut StdRng) -> RgbImage {
    let corners = photo.corners;
    let card_w = distance(corners[0], corners[1]);
    let card_h = distance(corners[0], corners[3]);
    let from_left = rng.gen_bool(0.5);
    // Tip of the thumb and the direction it points in (card fractions).
    let (tip, axis, half_width) = if from_left {
        let v = rng.gen_range(0.35..0.5f32);
        let u = rng.gen_range(0.2..0.3f32);
        (
            (u, v),
            card_vector(corners, 1.0, 0.0),
            card_h * rng.gen_range(0.14..0.17),
        )
    } else {
        let u = rng.gen_range(0.2..0.45f32);
        let v = rng.gen_range(0.3..0.42f32);
        (
            (u, v),
            card_vector(corners, 0.0, 1.0),
            card_w * rng.gen_range(0.085..0.1),
        )
    };
    let tip = card_point(corners, tip.0, tip.1);
    // The thumb reaches well past the card's edge, to the hand.
    let half_length = 0.4 * card_w.max(card_h);
    let centre = (tip.0 - axis.0 * half_length, tip.1 - axis.1 * half_length);
    let skin = [
        rng.gen_range(185.0..235.0f32),
        rng.gen_range(135.0..180.0),
        rng.gen_range(105.0..150.0),
    ];
    let mut image = photo.image.clone();
    for (x, y, p) in image.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 - centre.0, y as f32 - centre.1);
        let along = (dx * axis.0 + dy * axis.1) / half_length;
        let across = (-dx * axis.1 + dy * axis.0) / half_width;
        let r = (along * along + across * across).sqrt();
        // One pixel of soft edge.
        let cover = ((1.0 - r) * half_width.min(half_length)).clamp(0.0, 1.0);
        if cover <= 0.0 {
            continue;
        }
        // Rounded: lit along the middle, darker towards the sides; a paler nail at the tip.
        let shade = 1.0 - 0.35 * across.abs().powi(2);
        let nail = along > 0.78 && across.abs() < 0.55;
        for c in 0..3 {
            let mut value = skin[c] * shade;
            if nail {
                value = value * 0.7 + 255.0 * 0.3;
            }
            p[c] = (f32::from(p[c]) * (1.0 - cover) + value * cover).clamp(0.0, 255.0) as u8;
        }
    }
    let noise = rng.gen_range(0.0..3.0f32);
    add_noise(&mut image, rng, noise);
    jpeg_round_trip(&image, rng.gen_range(80..=95))
}

/// Lays a dark, turned rectangle (a phone, a wallet) over the middle of the card, above the
/// ID number, then re-encodes the photo.
pub fn occlude_with_object(photo: &Photo, rng: &mut StdRng) -> RgbImage {
    let corners = photo.corners;
    let card_w = distance(corners[0], corners[1]);
    let centre = card_point(
        corners,
        rng.gen_range(0.3..0.45f32),
        rng.gen_range(0.4..0.55f32),
    );
    let (half_w, half_h) = (
        card_w * rng.gen_range(0.08..0.13f32),
        card_w * rng.gen_range(0.06..0.09f32),
    );
    let angle = rng.gen_range(-0.5..0.5f32);
    let (sin, cos) = angle.sin_cos();
    let base = rng.gen_range(20.0..70.0f32);
    let colour = [0, 1, 2].map(|_| base + rng.gen_range(-8.0..8.0f32));
    let mut image = photo.image.clone();
    for (x, y, p) in image.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 - centre.0, y as f32 - centre.1);
        let (a, b) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        let cover = (half_w - a.abs()).min(half_h - b.abs()).clamp(0.0, 1.0);
        if cover <= 0.0 {
            continue;
        }
        // A faint sheen across the object.
        let sheen = 12.0 * (a / half_w);
        for c in 0..3 {
            let value = colour[c] + sheen;
            p[c] = (f32::from(p[c]) * (1.0 - cover) + value * cover).clamp(0.0, 255.0) as u8;
        }
    }
    let noise = rng.gen_range(0.0..3.0f32);
    add_noise(&mut image, rng, noise);
    jpeg_round_trip(&image, rng.gen_range(80..=95))
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Unit vector in the photo along the card direction (`du`, `dv`) given in card fractions.
fn card_vector(corners: [(f32, f32); 4], du: f32, dv: f32) -> (f32, f32) {
    let (x0, y0) = card_point(corners, 0.5, 0.5);
    let (x1, y1) = card_point(corners, 0.5 + 0.1 * du, 0.5 + 0.1 * dv);
    let length = (x1 - x0).hypot(y1 - y0).max(f32::EPSILON);
    ((x1 - x0) / length, (y1 - y0) / length)
}
