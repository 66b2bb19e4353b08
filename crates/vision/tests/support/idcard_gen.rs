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
