// Our own PRNGs: std:: distributions are not specified bit-for-bit across library versions.
#pragma once

#include <cstdint>

namespace pfnsim::sim {

// splitmix64 (Steele, Lea, Flood 2014); also used to derive per-execution seeds.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

// One word mixed into a well-spread one (splitmix64 of it): the terms of XOR-combined
// (Zobrist) digests, whose parts must look independent of each other.
constexpr std::uint64_t mix64(std::uint64_t v) {
    return splitmix64(v);
}

// Seed of execution `index` of an exploration started from `base`.
constexpr std::uint64_t derive_seed(std::uint64_t base, std::uint64_t index) {
    std::uint64_t s = base ^ (index * 0xd1b54a32d192ed03ULL);
    return splitmix64(s);
}

// xoshiro256** (Blackman, Vigna 2018).
class Xoshiro256 {
  public:
    explicit Xoshiro256(std::uint64_t seed = 0) { reseed(seed); }
    void reseed(std::uint64_t seed) {
        for (auto& w : s_) {
            w = splitmix64(seed);
        }
    }
    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17U;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // Uniform in [0, n) by Lemire's multiply-shift; n > 0.
    std::uint32_t below(std::uint32_t n) {
        return static_cast<std::uint32_t>(((next() >> 32U) * static_cast<std::uint64_t>(n)) >> 32U);
    }

  private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) {
        return (x << static_cast<unsigned>(k)) | (x >> static_cast<unsigned>(64 - k));
    }
    std::uint64_t s_[4]{};
};

// Order-dependent 64-bit mixing for trace hashes (word at a time).
constexpr std::uint64_t hash_mix(std::uint64_t h, std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6U) + (h >> 2U);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 32U);
}

}  // namespace pfnsim::sim
