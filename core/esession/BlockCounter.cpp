#include "BlockCounter.h"

namespace Esession {

std::optional<BlockCounter> BlockCounter::fromBigEndian(const QByteArray &bytes)
{
    if (bytes.size() > 16)
        return std::nullopt;
    quint64 high = 0, low = 0;
    for (const char byte : bytes) {
        high = (high << 8) | (low >> 56);
        low = (low << 8) | quint8(byte);
    }
    return BlockCounter(high, low);
}

QByteArray BlockCounter::block() const
{
    QByteArray out(16, Qt::Uninitialized);
    for (int i = 0; i < 8; ++i) {
        out[i] = char(quint8(m_high >> (56 - 8 * i)));
        out[8 + i] = char(quint8(m_low >> (56 - 8 * i)));
    }
    return out;
}

QByteArray BlockCounter::mpi() const
{
    const QByteArray full = block();
    qsizetype first = 0;
    while (first < 15 && full.at(first) == 0)
        ++first;
    return full.mid(first);
}

void BlockCounter::advance(quint64 blocks)
{
    const quint64 before = m_low;
    m_low += blocks;
    if (m_low < before)
        ++m_high; // carry; m_high wraps on its own at 2^64, which is the wrap at 2^128
}

} // namespace Esession
