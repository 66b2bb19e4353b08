//! 1:1 comparison on real photos: same person passes, different people fail.

mod face_support;

use face_support::{engine, photo};
use heshen_vision::{format_sim, PASS_SIM};

#[test]
fn three_photos_of_one_person_pass_pairwise() {
    let names = ["obama.jpg", "obama2.jpg", "obama3.jpg"];
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let c = engine()
                .compare(&photo(names[i]), &photo(names[j]))
                .expect("comparison runs");
            println!(
                "{} vs {}: sim {} cos {:.4}",
                names[i],
                names[j],
                format_sim(c.sim),
                c.cosine
            );
            assert!(
                c.sim >= PASS_SIM && c.pass,
                "{} vs {}: sim {}",
                names[i],
                names[j],
                c.sim
            );
            assert_eq!((c.faces_a, c.faces_b), (1, 1));
        }
    }
}

#[test]
fn different_people_fail() {
    let c = engine()
        .compare(&photo("obama.jpg"), &photo("biden.jpg"))
        .expect("comparison runs");
    println!(
        "obama vs biden: sim {} cos {:.4}",
        format_sim(c.sim),
        c.cosine
    );
    assert!(c.sim < PASS_SIM && !c.pass);
}

#[test]
fn all_six_faces_in_the_group_photo_are_found_and_all_differ() {
    let group = photo("t1.jpg");
    let faces = engine().embed_all(&group).expect("group photo embeds");
    assert_eq!(
        faces.len(),
        6,
        "faces: {:?}",
        faces.iter().map(|f| f.0.bbox).collect::<Vec<_>>()
    );
    let mut worst = f32::MIN;
    for i in 0..faces.len() {
        for j in i + 1..faces.len() {
            let cos = faces[i].1.cosine(&faces[j].1);
            let sim = heshen_vision::face::sim_from_cosine(cos);
            println!("t1 face {i} vs {j}: sim {} cos {cos:.4}", format_sim(sim));
            worst = worst.max(sim);
            assert!(
                sim < PASS_SIM,
                "faces {i} and {j} of t1.jpg would pass: {sim}"
            );
        }
    }
    println!("highest impostor sim in t1.jpg: {}", format_sim(worst));
}

#[test]
fn group_photo_is_ambiguous_for_verification() {
    let err = engine().embed(&photo("t1.jpg")).unwrap_err();
    assert!(
        matches!(err, heshen_vision::VisionError::MultipleFaces(_)),
        "{err}"
    );
}

#[test]
fn detected_face_has_sane_geometry_and_quality() {
    let img = photo("obama.jpg");
    let faces = engine().detect(&img).unwrap();
    assert_eq!(faces.len(), 1);
    let f = &faces[0];
    let [le, re, nose, ml, mr] = f.landmarks;
    assert!(
        le.x < nose.x && nose.x < re.x,
        "eyes either side of the nose"
    );
    assert!(
        le.y < nose.y && nose.y < ml.y.min(mr.y),
        "eyes above nose above mouth"
    );
    assert!(f.bbox.x1 <= le.x && re.x <= f.bbox.x2);
    assert!(f.quality.is_acceptable(), "{:?}", f.quality);
    assert!(f.quality.yaw_deg.abs() < 15.0);
}

#[test]
fn aligned_crop_embeds_like_the_detector_path() {
    // The aligned 112×112 crop of Tom Hanks must be closer to itself through embed_aligned than
    // to anyone in the group photo.
    let bytes = std::fs::read(face_support::testdata("faces/Tom_Hanks_54745.png")).unwrap();
    let hanks = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let a = engine().embed_aligned(&hanks).unwrap();
    assert!((a.cosine(&a) - 1.0).abs() < 1e-4);
    for (_, other) in engine().embed_all(&photo("t1.jpg")).unwrap() {
        assert!(heshen_vision::face::sim_from_cosine(a.cosine(&other)) < PASS_SIM);
    }
}

#[test]
fn blurred_photo_is_flagged_blurry() {
    let sharp = photo("obama.jpg");
    let blurred = image::imageops::blur(&sharp, 12.0);
    let faces = engine().detect(&blurred).unwrap();
    assert!(!faces.is_empty(), "blurred face still detected");
    let q = &faces[0].quality;
    println!(
        "sharpness: original {:?}, blurred {}",
        engine().detect(&sharp).unwrap()[0].quality.sharpness,
        q.sharpness
    );
    assert!(
        q.issues.contains(&heshen_vision::QualityIssue::Blurry),
        "{q:?}"
    );
}

#[test]
fn camera_sized_photo_is_handled_through_the_shrink_path() {
    // Above the sampler's 4 MP the detector works on a block-shrunk copy; faces must still be
    // found and mapped back to full-resolution coordinates.
    let small = photo("obama.jpg");
    let (w, h) = small.dimensions();
    let big = image::imageops::resize(
        &small,
        w * 5 / 2,
        h * 5 / 2,
        image::imageops::FilterType::Triangle,
    );
    assert!(u64::from(big.width()) * u64::from(big.height()) > 4_000_000);
    let faces = engine().detect(&big).unwrap();
    assert_eq!(faces.len(), 1);
    let small_face = engine().detect(&small).unwrap().remove(0);
    let centre = faces[0].bbox.center();
    let expected = small_face.bbox.center();
    assert!(
        (centre.x - expected.x * 2.5).abs() < 15.0 && (centre.y - expected.y * 2.5).abs() < 15.0
    );
    let c = engine().compare(&big, &photo("obama2.jpg")).unwrap();
    assert!(c.pass, "sim {}", c.sim);
}

#[test]
fn passive_scores_are_probabilities_even_for_a_huge_face() {
    let img = photo("obama.jpg");
    let face = engine().detect(&img).unwrap().remove(0);
    let scores = engine().passive_scores(&img, &face).unwrap();
    assert!((0.0..=1.0).contains(&scores.real) && (0.0..=1.0).contains(&scores.live));
    // The face filling a ~20 MP image exercises the block-shrink path.
    let (w, h) = img.dimensions();
    let huge = image::imageops::resize(&img, w * 4, h * 4, image::imageops::FilterType::Nearest);
    let big_face = heshen_vision::Face {
        bbox: face.bbox.scaled(4.0),
        landmarks: face.landmarks,
        ..face.clone()
    };
    let big = engine().passive_scores(&huge, &big_face).unwrap();
    assert!(
        (big.real - scores.real).abs() < 0.2,
        "{big:?} vs {scores:?}"
    );
}
