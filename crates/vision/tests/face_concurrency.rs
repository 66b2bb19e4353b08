//! The engine is shared across request threads (`Arc<Engine>`): concurrent calls must give the
//! same answers as sequential ones.

mod face_support;

use face_support::{engine, photo};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn engine_is_shareable_between_threads() {
    assert_send_sync::<heshen_vision::Engine>();
}

#[test]
fn concurrent_compares_agree_with_a_sequential_one() {
    let (a, b) = (photo("obama.jpg"), photo("obama2.jpg"));
    let expected = engine().compare(&a, &b).unwrap().cosine;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| engine().compare(&a, &b).unwrap().cosine))
            .collect();
        for h in handles {
            let got = h.join().unwrap();
            assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        }
    });
}
