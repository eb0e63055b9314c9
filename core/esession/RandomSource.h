#pragma once

#include <QByteArray>

namespace Esession {

/// Where the engine draws its random values (nonces, the first counters, the SAS secret r_B, the filler hashes
/// of XEP-0116): passed in, so that a test can see and steer them. Diffie-Hellman private keys are generated
/// inside the crypto provider (QCA) and do not come from here.
class RandomSource
{
public:
    virtual ~RandomSource() = default;
    /// @p size cryptographically strong bytes; anything else (fewer bytes, an empty array) means the source
    /// failed, and the caller must not go on with a weaker value.
    virtual QByteArray bytes(int size) = 0;
};

/// The crypto provider's generator (Crypto::randomBytes). One per process; never destroyed.
RandomSource &systemRandom();

} // namespace Esession
