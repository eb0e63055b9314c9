#pragma once

#include <QByteArrayView>
#include <QDomElement>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

class QDomDocument;

namespace Esession {

/// <x type='...'/> (XEP-0004 §3.1). XEP-0004 mentions an "error" type in passing but its schema does not.
enum class FormType { Form, Submit, Result, Cancel };

/// <field type='...'/> (XEP-0004 §3.3). Unspecified: the attribute is absent (allowed; in a "form" it
/// means text-single, in the other forms the type comes from context). Other: a type this code does not
/// know, kept as received; XEP-0004 says to treat it as text-single.
enum class FieldType {
    Unspecified,
    Boolean,
    Fixed,
    Hidden,
    JidMulti,
    JidSingle,
    ListMulti,
    ListSingle,
    TextMulti,
    TextPrivate,
    TextSingle,
    Other,
};

struct FormOption
{
    QString label;
    QString value;
    friend bool operator==(const FormOption &, const FormOption &) = default;
};

struct FormField
{
    QString var; ///< empty only for a fixed field
    FieldType type = FieldType::Unspecified;
    QString otherType; ///< the type attribute as received when type is Other
    QString label;
    QString desc;
    bool required = false;
    QStringList values; ///< in document order; the text of each <value/>, verbatim
    QList<FormOption> options;
    friend bool operator==(const FormField &, const FormField &) = default;
};

/// A field with @p var, @p values and @p type, nothing else set (for building our own forms).
FormField makeField(const QString &var, const QStringList &values, FieldType type = FieldType::Unspecified);

enum class FormErrorCode {
    MalformedXml, ///< not well-formed XML (truncated, garbage, undeclared entity, several roots)
    ForbiddenMarkup, ///< a DTD: entity declarations and their expansion are never accepted
    TooLarge, ///< over a FormLimits cap (document, fields, values, options, text length)
    NotADataForm, ///< not <x xmlns='jabber:x:data'/>
    MissingFormType, ///< <x/> without a type attribute
    UnknownFormType, ///< type not one of form, submit, result, cancel
    MissingVar, ///< a field other than "fixed" without a (non-empty) var
    DuplicateVar, ///< two fields with the same var
    InvalidBoolean, ///< a boolean value other than 0, 1, false, true
    TooManyValues, ///< several <value/> in a single-valued field, or in FORM_TYPE
    UnexpectedOptions, ///< <option/> in a field that is not a list
    MalformedOption, ///< an <option/> without exactly one <value/>
    UnexpectedElement, ///< an unknown jabber:x:data element (also <reported/>/<item/>), markup inside text,
                       ///< or a repeated <title/>, <desc/> or <required/>
    UnexpectedText, ///< character data between elements (the "..." placeholders of the XEP examples)
};

/// Why a form was refused. `where` names the element or field var, never a value.
struct FormError
{
    FormErrorCode code;
    QString where;
};

/// Caps on what a peer may send; the defaults are far above any ESession form (a 0116 request has about
/// 20 fields, the longest value is a Base64 8192-bit DH key of 1368 characters).
struct FormLimits
{
    qsizetype maxXmlBytes = 256 * 1024; ///< parseXml only
    int maxFields = 128;
    int maxValuesPerField = 128;
    int maxOptionsPerField = 128;
    int maxInstructions = 16;
    qsizetype maxTextLength = 16 * 1024; ///< characters of one value, label, var, type, title, desc or instruction
};

class DataForm;
using FormResult = std::variant<DataForm, FormError>;

/// An XEP-0004 data form as the XEP-0155/0116/0217 negotiation uses it: a type, an optional title and
/// instructions, and fields in document order. Multi-item results (<reported/>, <item/>) are not part
/// of this model and are refused. Elements of other namespaces inside the form are extensions: they are
/// skipped, not kept.
///
/// Never hash a form by re-serialising this model: toElement() writes the children in its own order.
/// The MACed form content is normalizedFormContent() of the raw element (FormNormalizer.h).
class DataForm
{
public:
    DataForm() = default;
    explicit DataForm(FormType type)
        : m_type(type)
    {
    }

    /// Reads and validates @p x (from the wire or built locally, with or without namespace processing).
    [[nodiscard]] static FormResult parse(const QDomElement &x, const FormLimits &limits = {});
    /// Parses @p xml, whose root must be the <x/>, with namespace processing; refuses DTDs.
    [[nodiscard]] static FormResult parseXml(QByteArrayView xml, const FormLimits &limits = {});

    /// A new <x xmlns='jabber:x:data'/> owned by @p doc (not inserted): title, instructions, then each
    /// field with label/type/var, <desc/>, values, options and <required/> last, as in the XEP examples.
    QDomElement toElement(QDomDocument &doc) const;

    FormType type() const { return m_type; }
    void setType(FormType type) { m_type = type; }
    QString title() const { return m_title; }
    void setTitle(const QString &title) { m_title = title; }
    QStringList instructions() const { return m_instructions; }
    void setInstructions(const QStringList &instructions) { m_instructions = instructions; }

    const QList<FormField> &fields() const { return m_fields; }
    /// Appends @p field. False (and nothing added) when its var is empty on a non-fixed field or
    /// already used.
    [[nodiscard]] bool addField(const FormField &field);
    /// The field named @p var, or nullptr.
    const FormField *field(QStringView var) const;

    /// The FORM_TYPE (XEP-0068): the single value of the FORM_TYPE field when that field is hidden, or
    /// has no type in a submit/result/cancel form (the XEP-0155/0116/0217 examples leave it out there);
    /// an empty string otherwise (absent, or a visible field, which XEP-0068 says is no FORM_TYPE).
    QString formType() const;
    /// The first value of @p var; a null string when the field is absent or has no value.
    QString value(QStringView var) const;
    QStringList values(QStringView var) const;
    /// The value of @p var read as an XEP-0004 boolean, whatever the declared type (submit and result
    /// forms omit it): nullopt when the field is absent, has no value or not exactly one, or the value is
    /// not one of 0, 1, false, true.
    std::optional<bool> booleanValue(QStringView var) const;

    friend bool operator==(const DataForm &, const DataForm &) = default;

private:
    FormType m_type = FormType::Form;
    QString m_title;
    QStringList m_instructions;
    QList<FormField> m_fields;
};

QString formTypeName(FormType type);
std::optional<FormType> formTypeFromString(QStringView text);
/// The attribute value for @p type; empty for Unspecified and Other (see FormField::otherType).
QString fieldTypeName(FieldType type);
/// Unspecified for an empty string, Other for a type this code does not know.
FieldType fieldTypeFromString(QStringView text);
/// Name of the error code, for logs and test output.
QString errorCodeName(FormErrorCode code);

} // namespace Esession
