#include "DataForm.h"

#include <QDomDocument>
#include <QSet>
#include <QXmlStreamReader>

#include "FormConstants.h"
#include "FormNormalizer.h"

namespace Esession {

namespace {

using namespace Xep0004;

FormError error(FormErrorCode code, const QString &where = {})
{
    return FormError { code, where };
}

bool isWhitespaceOnly(QStringView text)
{
    for (const QChar c : text) {
        // XML white space (S production): space, TAB, LF, CR.
        if (c != u' ' && c != u'\t' && c != u'\n' && c != u'\r')
            return false;
    }
    return true;
}

bool isDataFormElement(const QDomElement &element, const QString &name)
{
    return localNameOf(element) == name && namespaceOf(element) == Namespace;
}

/// What the field type means for validation. XEP-0004 §3.2: a missing type in a "form" is text-single;
/// an unknown type "MUST be assumed" text-single. In other forms a missing type comes from context.
FieldType effectiveType(const FormField &field, FormType formType)
{
    if (field.type == FieldType::Other)
        return FieldType::TextSingle;
    if (field.type == FieldType::Unspecified && formType == FormType::Form)
        return FieldType::TextSingle;
    return field.type;
}

bool isSingleValued(FieldType type)
{
    switch (type) {
    case FieldType::Boolean:
    case FieldType::Fixed:
    case FieldType::JidSingle:
    case FieldType::ListSingle:
    case FieldType::TextPrivate:
    case FieldType::TextSingle:
    case FieldType::Other:
        return true;
    case FieldType::Unspecified: // submit/result/cancel: the type is not known here
    case FieldType::Hidden:
    case FieldType::JidMulti:
    case FieldType::ListMulti:
    case FieldType::TextMulti:
        return false;
    }
    return true;
}

bool mayHaveOptions(FieldType type)
{
    return type == FieldType::ListSingle || type == FieldType::ListMulti || type == FieldType::Unspecified;
}

std::optional<bool> readBoolean(const QString &text)
{
    if (text == BooleanOne || text == BooleanTrue)
        return true;
    if (text == BooleanZero || text == BooleanFalse)
        return false;
    return std::nullopt;
}

/// The character data of an element that may hold nothing else (value, title, desc, ...): text and
/// CDATA verbatim, comments and processing instructions skipped, any child element refused.
std::variant<QString, FormError> readText(const QDomElement &element, const QString &where, const FormLimits &limits)
{
    QString text;
    for (QDomNode child = element.firstChild(); !child.isNull(); child = child.nextSibling()) {
        if (child.isText())
            text += child.nodeValue();
        else if (child.isElement() || child.isEntityReference())
            return error(FormErrorCode::UnexpectedElement, where);
        if (text.size() > limits.maxTextLength)
            return error(FormErrorCode::TooLarge, where);
    }
    return text;
}

std::optional<FormError> checkLength(const QString &text, const QString &where, const FormLimits &limits)
{
    if (text.size() > limits.maxTextLength)
        return error(FormErrorCode::TooLarge, where);
    return std::nullopt;
}

std::variant<FormOption, FormError> parseOption(
    const QDomElement &element, const QString &where, const FormLimits &limits)
{
    FormOption option;
    option.label = unprefixedAttribute(element, LabelAttribute).value_or(QString());
    if (auto tooLong = checkLength(option.label, where, limits))
        return *tooLong;

    int valueCount = 0;
    for (QDomNode child = element.firstChild(); !child.isNull(); child = child.nextSibling()) {
        if (child.isText()) {
            if (!isWhitespaceOnly(child.nodeValue()))
                return error(FormErrorCode::UnexpectedText, where);
            continue;
        }
        if (!child.isElement())
            continue;
        const QDomElement childElement = child.toElement();
        if (namespaceOf(childElement) != Namespace)
            continue; // an extension
        if (localNameOf(childElement) != ValueElement)
            return error(FormErrorCode::UnexpectedElement, where);
        if (++valueCount > 1)
            return error(FormErrorCode::MalformedOption, where);
        auto text = readText(childElement, where, limits);
        if (auto *failure = std::get_if<FormError>(&text))
            return *failure;
        option.value = std::get<QString>(std::move(text));
    }
    if (valueCount != 1)
        return error(FormErrorCode::MalformedOption, where);
    return option;
}

std::variant<FormField, FormError> parseField(const QDomElement &element, FormType formType, const FormLimits &limits)
{
    FormField field;
    field.var = unprefixedAttribute(element, VarAttribute).value_or(QString());
    field.label = unprefixedAttribute(element, LabelAttribute).value_or(QString());
    const QString typeName = unprefixedAttribute(element, TypeAttribute).value_or(QString());
    // Where an error happened: the var, or the element name until the var is known to be harmless.
    const QString where = field.var.isEmpty() ? FieldElement : field.var.left(64);
    for (const QString *text : std::initializer_list<const QString *> { &field.var, &field.label, &typeName }) {
        if (auto tooLong = checkLength(*text, FieldElement, limits))
            return *tooLong;
    }
    field.type = fieldTypeFromString(typeName);
    if (field.type == FieldType::Other)
        field.otherType = typeName;

    bool seenDesc = false;
    bool seenRequired = false;
    for (QDomNode child = element.firstChild(); !child.isNull(); child = child.nextSibling()) {
        if (child.isText()) {
            if (!isWhitespaceOnly(child.nodeValue()))
                return error(FormErrorCode::UnexpectedText, where);
            continue;
        }
        if (!child.isElement())
            continue; // comments, processing instructions
        const QDomElement childElement = child.toElement();
        if (namespaceOf(childElement) != Namespace)
            continue; // an extension (e.g. XEP-0122 validation): not part of this model
        const QString name = localNameOf(childElement);
        if (name == ValueElement) {
            if (field.values.size() >= limits.maxValuesPerField)
                return error(FormErrorCode::TooLarge, where);
            auto text = readText(childElement, where, limits);
            if (auto *failure = std::get_if<FormError>(&text))
                return *failure;
            field.values.append(std::get<QString>(std::move(text)));
        } else if (name == OptionElement) {
            if (field.options.size() >= limits.maxOptionsPerField)
                return error(FormErrorCode::TooLarge, where);
            auto option = parseOption(childElement, where, limits);
            if (auto *failure = std::get_if<FormError>(&option))
                return *failure;
            field.options.append(std::get<FormOption>(std::move(option)));
        } else if (name == RequiredElement) {
            // "This element, which MUST be empty"
            if (seenRequired)
                return error(FormErrorCode::UnexpectedElement, where);
            auto text = readText(childElement, where, limits);
            if (auto *failure = std::get_if<FormError>(&text))
                return *failure;
            if (!isWhitespaceOnly(std::get<QString>(text)))
                return error(FormErrorCode::UnexpectedText, where);
            seenRequired = true;
            field.required = true;
        } else if (name == DescElement) {
            if (seenDesc)
                return error(FormErrorCode::UnexpectedElement, where);
            auto text = readText(childElement, where, limits);
            if (auto *failure = std::get_if<FormError>(&text))
                return *failure;
            field.desc = std::get<QString>(std::move(text));
            seenDesc = true;
        } else {
            return error(FormErrorCode::UnexpectedElement, where);
        }
    }

    const FieldType effective = effectiveType(field, formType);
    if (field.var.isEmpty() && effective != FieldType::Fixed)
        return error(FormErrorCode::MissingVar, where);
    if (field.values.size() > 1 && (isSingleValued(effective) || field.var == FormTypeVar))
        return error(FormErrorCode::TooManyValues, where);
    if (effective == FieldType::Boolean) {
        for (const QString &value : std::as_const(field.values)) {
            if (!readBoolean(value))
                return error(FormErrorCode::InvalidBoolean, where);
        }
    }
    if (!field.options.isEmpty() && !mayHaveOptions(effective))
        return error(FormErrorCode::UnexpectedOptions, where);
    return field;
}

} // namespace

FormResult DataForm::parse(const QDomElement &x, const FormLimits &limits)
{
    if (x.isNull() || !isDataFormElement(x, XElement))
        return error(FormErrorCode::NotADataForm, x.isNull() ? QString() : localNameOf(x).left(64));

    const std::optional<QString> typeName = unprefixedAttribute(x, TypeAttribute);
    if (!typeName)
        return error(FormErrorCode::MissingFormType, XElement);
    const std::optional<FormType> type = formTypeFromString(*typeName);
    if (!type)
        return error(FormErrorCode::UnknownFormType, XElement);

    DataForm form(*type);
    bool seenTitle = false;
    QSet<QString> vars;
    for (QDomNode child = x.firstChild(); !child.isNull(); child = child.nextSibling()) {
        if (child.isText()) {
            if (!isWhitespaceOnly(child.nodeValue()))
                return error(FormErrorCode::UnexpectedText, XElement);
            continue;
        }
        if (!child.isElement())
            continue;
        const QDomElement element = child.toElement();
        if (namespaceOf(element) != Namespace)
            continue; // an extension
        const QString name = localNameOf(element);
        if (name == FieldElement) {
            if (form.m_fields.size() >= limits.maxFields)
                return error(FormErrorCode::TooLarge, XElement);
            auto parsed = parseField(element, *type, limits);
            if (auto *failure = std::get_if<FormError>(&parsed))
                return *failure;
            auto field = std::get<FormField>(std::move(parsed));
            if (!field.var.isEmpty()) {
                if (vars.contains(field.var))
                    return error(FormErrorCode::DuplicateVar, field.var.left(64));
                vars.insert(field.var);
            }
            form.m_fields.append(std::move(field));
        } else if (name == TitleElement) {
            if (seenTitle)
                return error(FormErrorCode::UnexpectedElement, TitleElement);
            auto text = readText(element, TitleElement, limits);
            if (auto *failure = std::get_if<FormError>(&text))
                return *failure;
            form.m_title = std::get<QString>(std::move(text));
            seenTitle = true;
        } else if (name == InstructionsElement) {
            if (form.m_instructions.size() >= limits.maxInstructions)
                return error(FormErrorCode::TooLarge, InstructionsElement);
            auto text = readText(element, InstructionsElement, limits);
            if (auto *failure = std::get_if<FormError>(&text))
                return *failure;
            form.m_instructions.append(std::get<QString>(std::move(text)));
        } else {
            // <reported/> and <item/> (multi-item results) included: no negotiation form carries them.
            return error(FormErrorCode::UnexpectedElement, name.left(64));
        }
    }
    return form;
}

FormResult DataForm::parseXml(QByteArrayView xml, const FormLimits &limits)
{
    if (xml.size() > limits.maxXmlBytes)
        return error(FormErrorCode::TooLarge);

    const QByteArray bytes = xml.toByteArray();
    // A first pass refuses DTDs before QDom could expand any entity they declare.
    QXmlStreamReader reader(bytes);
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isDTD())
            return error(FormErrorCode::ForbiddenMarkup);
        if (reader.isEntityReference())
            return error(FormErrorCode::MalformedXml);
    }
    if (reader.hasError())
        return error(FormErrorCode::MalformedXml);

    QDomDocument doc;
    if (!doc.setContent(bytes, true))
        return error(FormErrorCode::MalformedXml);
    return parse(doc.documentElement(), limits);
}

QDomElement DataForm::toElement(QDomDocument &doc) const
{
    const auto appendTextChild = [&doc](QDomElement &parent, const QString &name, const QString &text) {
        QDomElement child = doc.createElementNS(Namespace, name);
        if (!text.isEmpty())
            child.appendChild(doc.createTextNode(text));
        parent.appendChild(child);
        return child;
    };

    QDomElement x = doc.createElementNS(Namespace, XElement);
    x.setAttribute(TypeAttribute, formTypeName(m_type));
    if (!m_title.isNull())
        appendTextChild(x, TitleElement, m_title);
    for (const QString &instruction : m_instructions)
        appendTextChild(x, InstructionsElement, instruction);

    for (const FormField &field : m_fields) {
        QDomElement element = doc.createElementNS(Namespace, FieldElement);
        if (!field.label.isNull())
            element.setAttribute(LabelAttribute, field.label);
        const QString typeName = field.type == FieldType::Other ? field.otherType : fieldTypeName(field.type);
        if (!typeName.isEmpty())
            element.setAttribute(TypeAttribute, typeName);
        if (!field.var.isNull())
            element.setAttribute(VarAttribute, field.var);
        if (!field.desc.isNull())
            appendTextChild(element, DescElement, field.desc);
        for (const QString &value : field.values)
            appendTextChild(element, ValueElement, value);
        for (const FormOption &option : field.options) {
            QDomElement optionElement = doc.createElementNS(Namespace, OptionElement);
            if (!option.label.isNull())
                optionElement.setAttribute(LabelAttribute, option.label);
            appendTextChild(optionElement, ValueElement, option.value);
            element.appendChild(optionElement);
        }
        if (field.required)
            element.appendChild(doc.createElementNS(Namespace, RequiredElement));
        x.appendChild(element);
    }
    return x;
}

bool DataForm::addField(const FormField &field)
{
    if (field.var.isEmpty() ? field.type != FieldType::Fixed : this->field(field.var) != nullptr)
        return false;
    m_fields.append(field);
    return true;
}

const FormField *DataForm::field(QStringView var) const
{
    for (const FormField &candidate : m_fields) {
        if (!candidate.var.isEmpty() && candidate.var == var)
            return &candidate;
    }
    return nullptr;
}

QString DataForm::formType() const
{
    const FormField *formTypeField = field(FormTypeVar);
    if (!formTypeField || formTypeField->values.size() != 1)
        return {};
    const bool hidden = formTypeField->type == FieldType::Hidden
        || (formTypeField->type == FieldType::Unspecified && m_type != FormType::Form);
    return hidden ? formTypeField->values.first() : QString();
}

QString DataForm::value(QStringView var) const
{
    const FormField *found = field(var);
    return found && !found->values.isEmpty() ? found->values.first() : QString();
}

QStringList DataForm::values(QStringView var) const
{
    const FormField *found = field(var);
    return found ? found->values : QStringList();
}

std::optional<bool> DataForm::booleanValue(QStringView var) const
{
    const FormField *found = field(var);
    if (!found || found->values.size() != 1)
        return std::nullopt;
    return readBoolean(found->values.first());
}

QString formTypeName(FormType type)
{
    switch (type) {
    case FormType::Form:
        return FormTypeForm;
    case FormType::Submit:
        return FormTypeSubmit;
    case FormType::Result:
        return FormTypeResult;
    case FormType::Cancel:
        return FormTypeCancel;
    }
    return {};
}

std::optional<FormType> formTypeFromString(QStringView text)
{
    for (FormType type : { FormType::Form, FormType::Submit, FormType::Result, FormType::Cancel }) {
        if (text == formTypeName(type))
            return type;
    }
    return std::nullopt;
}

QString fieldTypeName(FieldType type)
{
    switch (type) {
    case FieldType::Unspecified:
    case FieldType::Other:
        return {};
    case FieldType::Boolean:
        return FieldBoolean;
    case FieldType::Fixed:
        return FieldFixed;
    case FieldType::Hidden:
        return FieldHidden;
    case FieldType::JidMulti:
        return FieldJidMulti;
    case FieldType::JidSingle:
        return FieldJidSingle;
    case FieldType::ListMulti:
        return FieldListMulti;
    case FieldType::ListSingle:
        return FieldListSingle;
    case FieldType::TextMulti:
        return FieldTextMulti;
    case FieldType::TextPrivate:
        return FieldTextPrivate;
    case FieldType::TextSingle:
        return FieldTextSingle;
    }
    return {};
}

FieldType fieldTypeFromString(QStringView text)
{
    if (text.isEmpty())
        return FieldType::Unspecified;
    for (FieldType type : { FieldType::Boolean, FieldType::Fixed, FieldType::Hidden, FieldType::JidMulti,
             FieldType::JidSingle, FieldType::ListMulti, FieldType::ListSingle, FieldType::TextMulti,
             FieldType::TextPrivate, FieldType::TextSingle }) {
        if (text == fieldTypeName(type))
            return type;
    }
    return FieldType::Other;
}

QString errorCodeName(FormErrorCode code)
{
    switch (code) {
    case FormErrorCode::MalformedXml:
        return QStringLiteral("MalformedXml");
    case FormErrorCode::ForbiddenMarkup:
        return QStringLiteral("ForbiddenMarkup");
    case FormErrorCode::TooLarge:
        return QStringLiteral("TooLarge");
    case FormErrorCode::NotADataForm:
        return QStringLiteral("NotADataForm");
    case FormErrorCode::MissingFormType:
        return QStringLiteral("MissingFormType");
    case FormErrorCode::UnknownFormType:
        return QStringLiteral("UnknownFormType");
    case FormErrorCode::MissingVar:
        return QStringLiteral("MissingVar");
    case FormErrorCode::DuplicateVar:
        return QStringLiteral("DuplicateVar");
    case FormErrorCode::InvalidBoolean:
        return QStringLiteral("InvalidBoolean");
    case FormErrorCode::TooManyValues:
        return QStringLiteral("TooManyValues");
    case FormErrorCode::UnexpectedOptions:
        return QStringLiteral("UnexpectedOptions");
    case FormErrorCode::MalformedOption:
        return QStringLiteral("MalformedOption");
    case FormErrorCode::UnexpectedElement:
        return QStringLiteral("UnexpectedElement");
    case FormErrorCode::UnexpectedText:
        return QStringLiteral("UnexpectedText");
    }
    return {};
}

FormField makeField(const QString &var, const QStringList &values, FieldType type)
{
    FormField field;
    field.var = var;
    field.type = type;
    field.values = values;
    return field;
}

} // namespace Esession
