#include "RandomSource.h"

#include "crypto/Crypto.h"

namespace Esession {

namespace {

class SystemRandom final : public RandomSource
{
public:
    QByteArray bytes(int size) override { return Crypto::randomBytes(size); }
};

} // namespace

RandomSource &systemRandom()
{
    static SystemRandom source;
    return source;
}

} // namespace Esession
