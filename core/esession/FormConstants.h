#pragma once

#include <QString>

// Names used by the negotiation forms: XEP-0004 data forms, the XEP-0020 feature-negotiation wrapper,
// XEP-0155 stanza session fields and the XEP-0116/0217 ESession fields. One place each; nothing else
// spells them out. XEP-0200 names live in Constants.h.

// XEP-0004 Data Forms.
namespace Esession::Xep0004 {

inline const QString Namespace = QStringLiteral("jabber:x:data");

inline const QString XElement = QStringLiteral("x");
inline const QString TitleElement = QStringLiteral("title");
inline const QString InstructionsElement = QStringLiteral("instructions");
inline const QString FieldElement = QStringLiteral("field");
inline const QString DescElement = QStringLiteral("desc");
inline const QString RequiredElement = QStringLiteral("required");
inline const QString ValueElement = QStringLiteral("value");
inline const QString OptionElement = QStringLiteral("option");

inline const QString TypeAttribute = QStringLiteral("type");
inline const QString VarAttribute = QStringLiteral("var");
inline const QString LabelAttribute = QStringLiteral("label");

// Values of <x type='...'/>.
inline const QString FormTypeForm = QStringLiteral("form");
inline const QString FormTypeSubmit = QStringLiteral("submit");
inline const QString FormTypeResult = QStringLiteral("result");
inline const QString FormTypeCancel = QStringLiteral("cancel");

// Values of <field type='...'/>.
inline const QString FieldBoolean = QStringLiteral("boolean");
inline const QString FieldFixed = QStringLiteral("fixed");
inline const QString FieldHidden = QStringLiteral("hidden");
inline const QString FieldJidMulti = QStringLiteral("jid-multi");
inline const QString FieldJidSingle = QStringLiteral("jid-single");
inline const QString FieldListMulti = QStringLiteral("list-multi");
inline const QString FieldListSingle = QStringLiteral("list-single");
inline const QString FieldTextMulti = QStringLiteral("text-multi");
inline const QString FieldTextPrivate = QStringLiteral("text-private");
inline const QString FieldTextSingle = QStringLiteral("text-single");

// The lexical forms of a boolean value (XEP-0004 note: "0"/"false" and "1"/"true").
inline const QString BooleanTrue = QStringLiteral("true");
inline const QString BooleanFalse = QStringLiteral("false");
inline const QString BooleanOne = QStringLiteral("1");
inline const QString BooleanZero = QStringLiteral("0");

// XEP-0068: the hidden field naming the form's namespace.
inline const QString FormTypeVar = QStringLiteral("FORM_TYPE");

} // namespace Esession::Xep0004

// XEP-0020 Feature Negotiation: the wrapper of the XEP-0155 forms (and of the field list in its errors).
namespace Esession::Xep0020 {

inline const QString Namespace = QStringLiteral("http://jabber.org/protocol/feature-neg");
inline const QString FeatureElement = QStringLiteral("feature");

} // namespace Esession::Xep0020

// XEP-0155 Stanza Session Negotiation.
namespace Esession::Xep0155 {

/// The FORM_TYPE of every SSN and ESession form, also the namespace and disco feature.
inline const QString FormType = QStringLiteral("urn:xmpp:ssn");

// Registered fields.
inline const QString Accept = QStringLiteral("accept");
inline const QString Continue = QStringLiteral("continue");
inline const QString Disclosure = QStringLiteral("disclosure");
inline const QString ChatStates = QStringLiteral("http://jabber.org/protocol/chatstates");
inline const QString XhtmlIm = QStringLiteral("http://jabber.org/protocol/xhtml-im");
inline const QString Language = QStringLiteral("language");
inline const QString Logging = QStringLiteral("logging");
inline const QString Multisession = QStringLiteral("multisession");
inline const QString Renegotiate = QStringLiteral("renegotiate");
inline const QString Security = QStringLiteral("security");
inline const QString Terminate = QStringLiteral("terminate");
// Used in the examples but not registered (brief part 1 §3.8 #3).
inline const QString Presence = QStringLiteral("presence");
inline const QString Reason = QStringLiteral("reason");
/// The pre-rev-0.14 name of `logging`, still sent by the XEP-0217 examples (brief part 1 §3.8 #1).
inline const QString Otr = QStringLiteral("otr");

// Option values.
inline const QString May = QStringLiteral("may");
inline const QString MustNot = QStringLiteral("mustnot");
inline const QString DisclosureNever = QStringLiteral("never");
inline const QString DisclosureDisabled = QStringLiteral("disabled");
inline const QString DisclosureEnabled = QStringLiteral("enabled");
inline const QString SecurityNone = QStringLiteral("none");
inline const QString SecurityC2s = QStringLiteral("c2s");
inline const QString SecurityE2e = QStringLiteral("e2e");

} // namespace Esession::Xep0155

// XEP-0116 Encrypted Session Negotiation; XEP-0217 uses the same names.
namespace Esession::Xep0116 {

/// Disco feature, and the registry name of the fields below (never a FORM_TYPE value on the wire).
inline const QString Namespace = QStringLiteral("http://www.xmpp.org/extensions/xep-0116.html#ns");
/// Wrapper of ESession message 4 (Bob's identity): <init xmlns='...#ns-init'><x type='result'/></init>.
inline const QString InitNamespace = QStringLiteral("http://www.xmpp.org/extensions/xep-0116.html#ns-init");
inline const QString InitElement = QStringLiteral("init");

// Fields.
inline const QString Modp = QStringLiteral("modp");
inline const QString CryptAlgs = QStringLiteral("crypt_algs");
inline const QString HashAlgs = QStringLiteral("hash_algs");
inline const QString SignAlgs = QStringLiteral("sign_algs");
inline const QString Compress = QStringLiteral("compress");
inline const QString Stanzas = QStringLiteral("stanzas");
inline const QString InitPubkey = QStringLiteral("init_pubkey");
inline const QString RespPubkey = QStringLiteral("resp_pubkey");
inline const QString Ver = QStringLiteral("ver");
inline const QString RekeyFreq = QStringLiteral("rekey_freq");
inline const QString MyNonce = QStringLiteral("my_nonce");
inline const QString SasAlgs = QStringLiteral("sas_algs");
inline const QString Dhhashes = QStringLiteral("dhhashes");
inline const QString Dhkeys = QStringLiteral("dhkeys");
inline const QString Nonce = QStringLiteral("nonce");
inline const QString Counter = QStringLiteral("counter");
inline const QString Rshashes = QStringLiteral("rshashes");
inline const QString Srshash = QStringLiteral("srshash");
/// Sotto's committed SAS (not XEP-0116): the responder's commitment to its SAS secret in message 2, SHA256(r_B),
/// and the secret r_B itself in message 4 (docs/PROTOCOL-NOTES.md, "The committed SAS").
inline const QString SasCommitment = QStringLiteral("urn:x-sotto:esession:sas-commitment");
inline const QString SasSecret = QStringLiteral("urn:x-sotto:esession:sas-secret");
inline const QString Identity = QStringLiteral("identity");
inline const QString Mac = QStringLiteral("mac");
// Registered for offline sessions (XEP-0187) and signed forms.
inline const QString Expires = QStringLiteral("expires");
inline const QString MatchResource = QStringLiteral("match_resource");
inline const QString Signs = QStringLiteral("signs");

} // namespace Esession::Xep0116

// RFC 6120/6121 stanza names the XEP-0155 messages use (thread, amp and error element names: Constants.h).
namespace Esession::Rfc6120 {

inline const QString MessageElement = QStringLiteral("message");
inline const QString BodyElement = QStringLiteral("body");
inline const QString TextElement = QStringLiteral("text");

inline const QString ToAttribute = QStringLiteral("to");
inline const QString FromAttribute = QStringLiteral("from");
inline const QString IdAttribute = QStringLiteral("id");
inline const QString TypeAttribute = QStringLiteral("type");
/// The legacy numeric error code (XEP-0086), still shown in the XEP-0155 error examples.
inline const QString CodeAttribute = QStringLiteral("code");

// Values of <message type='...'/>.
inline const QString MessageNormal = QStringLiteral("normal");
inline const QString MessageChat = QStringLiteral("chat");
inline const QString MessageError = QStringLiteral("error");

// Stanza errors: <error type='...'><condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>.
inline const QString StanzasNamespace = QStringLiteral("urn:ietf:params:xml:ns:xmpp-stanzas");
inline const QString ErrorCancel = QStringLiteral("cancel");
inline const QString ErrorModify = QStringLiteral("modify");
inline const QString ServiceUnavailable = QStringLiteral("service-unavailable");
inline const QString FeatureNotImplemented = QStringLiteral("feature-not-implemented");
inline const QString NotAcceptable = QStringLiteral("not-acceptable");
inline const QString BadRequest = QStringLiteral("bad-request");
inline const QString UnexpectedRequest = QStringLiteral("unexpected-request");

} // namespace Esession::Rfc6120

// XEP-0201: the attribute naming a thread's parent (<thread parent='...'>).
namespace Esession::Xep0201 {

inline const QString ParentAttribute = QStringLiteral("parent");

} // namespace Esession::Xep0201

// XEP-0079 Advanced Message Processing: the rule XEP-0155 asks for so that a request for an immediate
// session is dropped instead of stored offline (<rule action='drop' condition='deliver' value='stored'/>).
namespace Esession::Xep0079 {

inline const QString Namespace = QStringLiteral("http://jabber.org/protocol/amp");
inline const QString RuleElement = QStringLiteral("rule");
inline const QString ActionAttribute = QStringLiteral("action");
inline const QString ConditionAttribute = QStringLiteral("condition");
inline const QString ValueAttribute = QStringLiteral("value");
inline const QString PerHopAttribute = QStringLiteral("per-hop");
inline const QString ActionDrop = QStringLiteral("drop");
inline const QString ConditionDeliver = QStringLiteral("deliver");
inline const QString DeliverStored = QStringLiteral("stored");

} // namespace Esession::Xep0079
