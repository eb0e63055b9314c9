#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <optional>

namespace Esession {

/// An XEP-0200 block counter (C_A, C_B): an unsigned 128-bit integer, arithmetic mod 2^128.
class BlockCounter
{
public:
    constexpr BlockCounter() = default;
    constexpr BlockCounter(quint64 high, quint64 low)
        : m_high(high)
        , m_low(low)
    {
    }

    /// From big-endian bytes, at most 16 (shorter input is a smaller number); nullopt when longer.
    static std::optional<BlockCounter> fromBigEndian(const QByteArray &bytes);

    /// The CTR counter block: always 16 bytes, big-endian.
    QByteArray block() const;
    /// The integer as used in MAC inputs and the `counter` field: big-endian with leading zero octets
    /// removed (XEP-0116 "Multiple-Precision Integers"). Zero is written as one zero octet.
    QByteArray mpi() const;

    /// Advances by @p blocks, wrapping at 2^128.
    void advance(quint64 blocks);
    /// This counter with its top bit flipped (C_B = C_A XOR 2^(n-1) for n = 128).
    BlockCounter withTopBitFlipped() const { return {m_high ^ (quint64(1) << 63), m_low}; }

    quint64 high() const { return m_high; }
    quint64 low() const { return m_low; }
    friend bool operator==(const BlockCounter &a, const BlockCounter &b) = default;

private:
    quint64 m_high = 0;
    quint64 m_low = 0;
};

/// Blocks (or partial blocks) a payload of @p bytes uses in CTR mode with 16-byte blocks.
constexpr quint64 blocksFor(qsizetype bytes)
{
    return bytes <= 0 ? 0 : (quint64(bytes) + 15) / 16;
}

} // namespace Esession
