#include "RandomSource.h"

#include "crypto/Crypto.h"

namespace Esession {

namespace {

class SystemRandom final : public RandomSource
{
public:
    // Without a cryptographic generator nothing is drawn: every negotiation then fails with FailureCode::Random
    // instead of going on with predictable nonces (review L8).
    QByteArray bytes(int size) override
    {
        return Crypto::secureRandomAvailable() ? Crypto::randomBytes(size) : QByteArray();
    }
};

} // namespace

RandomSource &systemRandom()
{
    static SystemRandom source;
    return source;
}

} // namespace Esession
