<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Account</name>
    <message>
        <location filename="../core/xmpp/Account.cpp" line="+31"/>
        <source>the server refused the connection (is it running?)</source>
        <translation>der Server hat die Verbindung abgelehnt (läuft er?)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the server closed the connection</source>
        <translation>der Server hat die Verbindung geschlossen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the server&apos;s address could not be found</source>
        <translation>die Adresse des Servers wurde nicht gefunden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the connection timed out</source>
        <translation>Zeitüberschreitung bei der Verbindung</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the network is unreachable</source>
        <translation>das Netzwerk ist nicht erreichbar</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the TLS handshake failed</source>
        <translation>der TLS-Handshake ist fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>network error %1</source>
        <translation>Netzwerkfehler %1</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>the address must look like name@server</source>
        <translation>die Adresse muss die Form name@server haben</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no certificate could be read from %1</source>
        <translation>aus %1 konnte kein Zertifikat gelesen werden</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>no encrypted session for this conversation; the message waits for one</source>
        <translation>keine verschlüsselte Sitzung für dieses Gespräch; die Nachricht wartet darauf</translation>
    </message>
    <message>
        <location line="+124"/>
        <source>the server rejected the address or password</source>
        <translation>der Server hat die Adresse oder das Passwort abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>authentication failed: %1</source>
        <translation>Anmeldung fehlgeschlagen: %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the server&apos;s certificate is not trusted: %1</source>
        <translation>dem Zertifikat des Servers wird nicht vertraut: %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the server stopped answering</source>
        <translation>der Server antwortet nicht mehr</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>connection error</source>
        <translation>Verbindungsfehler</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>the message could not be delivered</source>
        <translation>die Nachricht konnte nicht zugestellt werden</translation>
    </message>
</context>
<context>
    <name>AppContext</name>
    <message>
        <location filename="../ui/AppContext.cpp" line="+115"/>
        <source>Not logged in</source>
        <translation>Nicht angemeldet</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Online as %1</source>
        <translation>Online als %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connecting to the server…</source>
        <translation>Verbindung zum Server wird hergestellt…</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>Offline: reconnecting in %n s</source>
        <translation>
            <numerusform>Offline: neuer Versuch in %n s</numerusform>
            <numerusform>Offline: neuer Versuch in %n s</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Offline: not connected; new messages wait until you log in</source>
        <translation>Offline: nicht verbunden; neue Nachrichten warten, bis Sie sich anmelden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>Offline: %1 (reconnecting in %n s)</source>
        <translation>
            <numerusform>Offline: %1 (neuer Versuch in %n s)</numerusform>
            <numerusform>Offline: %1 (neuer Versuch in %n s)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline: %1</source>
        <translation>Offline: %1</translation>
    </message>
    <message>
        <location line="+35"/>
        <location line="+55"/>
        <location line="+606"/>
        <source>Enter your address as name@server.</source>
        <translation>Geben Sie Ihre Adresse in der Form name@server ein.</translation>
    </message>
    <message>
        <location line="-657"/>
        <source>Enter your password.</source>
        <translation>Geben Sie Ihr Passwort ein.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The port must be a number from 1 to 65535.</source>
        <translation>Der Port muss eine Zahl von 1 bis 65535 sein.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The certificate file %1 does not exist.</source>
        <translation>Die Zertifikatsdatei %1 existiert nicht.</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>Enter the address as name@server.</source>
        <translation>Geben Sie die Adresse in der Form name@server ein.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>You need to be online to add a contact.</source>
        <translation>Um einen Kontakt hinzuzufügen, müssen Sie online sein.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>That is your own address.</source>
        <translation>Das ist Ihre eigene Adresse.</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Your local data could not be opened: %1</source>
        <translation>Ihre lokalen Daten konnten nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>The keyring did not open the remembered password (%1). Type your password instead.</source>
        <translation>Der Schlüsselbund hat das gespeicherte Passwort nicht geöffnet (%1). Bitte geben Sie Ihr Passwort ein.</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>Could not log in: %1</source>
        <translation>Anmeldung nicht möglich: %1</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Verified contacts are remembered for this run only: %1</source>
        <translation>Verifizierte Kontakte werden nur für diesen Programmlauf gemerkt: %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+224"/>
        <source>Your message history and verified contacts are locked: give your passphrase to open them.</source>
        <translation>Ihr Nachrichtenverlauf und Ihre verifizierten Kontakte sind gesperrt: Geben Sie Ihre Passphrase ein, um sie zu öffnen.</translation>
    </message>
    <message>
        <location line="-222"/>
        <source>the keyring is not used</source>
        <translation>der Schlüsselbund wird nicht verwendet</translation>
    </message>
    <message>
        <location line="+56"/>
        <location line="+16"/>
        <location line="+10"/>
        <location line="+10"/>
        <location line="+67"/>
        <source>No account is open.</source>
        <translation>Kein Konto ist geöffnet.</translation>
    </message>
    <message>
        <location line="-100"/>
        <source>Encrypted sessions with this contact are switched off in Settings &gt; Encryption.</source>
        <translation>Verschlüsselte Sitzungen mit diesem Kontakt sind unter Einstellungen &gt; Verschlüsselung ausgeschaltet.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>You are offline: your messages wait and the encrypted session starts when you are back online.</source>
        <translation>Sie sind offline: Ihre Nachrichten warten, und die verschlüsselte Sitzung beginnt, sobald Sie wieder online sind.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>An encrypted session cannot be started right now.</source>
        <translation>Eine verschlüsselte Sitzung kann gerade nicht gestartet werden.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The setting could not be saved.</source>
        <translation>Die Einstellung konnte nicht gespeichert werden.</translation>
    </message>
    <message>
        <location line="+10"/>
        <location line="+10"/>
        <source>Messages to this contact are always encrypted (Settings &gt; Encryption).</source>
        <translation>Nachrichten an diesen Kontakt werden immer verschlüsselt (Einstellungen &gt; Verschlüsselung).</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>This account&apos;s secrets are already kept with the keyring.</source>
        <translation>Die Geheimnisse dieses Kontos werden bereits im Schlüsselbund aufbewahrt.</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>This account&apos;s secrets are not protected by a passphrase.</source>
        <translation>Die Geheimnisse dieses Kontos sind nicht durch eine Passphrase geschützt.</translation>
    </message>
    <message>
        <location line="+135"/>
        <source>No password is remembered for %1.</source>
        <translation>Für %1 ist kein Passwort gespeichert.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Enter the passphrase that protects the remembered password.</source>
        <translation>Geben Sie die Passphrase ein, die das gespeicherte Passwort schützt.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The remembered password could not be opened: %1</source>
        <translation>Das gespeicherte Passwort konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The remembered password is kept with the keyring, which is not used now. Type your password.</source>
        <translation>Das gespeicherte Passwort liegt beim Schlüsselbund, der gerade nicht verwendet wird. Bitte geben Sie Ihr Passwort ein.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The remembered password could not be opened. Type your password.</source>
        <translation>Das gespeicherte Passwort konnte nicht geöffnet werden. Bitte geben Sie Ihr Passwort ein.</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../ui/qml/ChatPage.qml" line="+37"/>
        <source>Encrypted, not verified</source>
        <translation>Verschlüsselt, nicht verifiziert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Encrypted and verified</source>
        <translation>Verschlüsselt und verifiziert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Encryption failed</source>
        <translation>Verschlüsselung fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Negotiating…</source>
        <translation>Wird ausgehandelt…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Encrypted conversation, no session yet</source>
        <translation>Verschlüsseltes Gespräch, noch keine Sitzung</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not encrypted</source>
        <translation>Nicht verschlüsselt</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The message could not be saved. Your text is still in the box.</source>
        <translation>Die Nachricht konnte nicht gespeichert werden. Ihr Text steht noch im Eingabefeld.</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Protect remembered contacts</source>
        <translation>Gemerkte Kontakte schützen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unlock your history</source>
        <translation>Verlauf entsperren</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Your messages and the secrets of the contacts you verified are encrypted under your passphrase. Enter it to open them.</source>
        <translation>Ihre Nachrichten und die Geheimnisse der Kontakte, die Sie verifiziert haben, sind mit Ihrer Passphrase verschlüsselt. Geben Sie sie ein, um sie zu öffnen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sotto keeps a secret for each contact you verified, so that later sessions need no new code. Without a keyring it can keep them encrypted under a passphrase, which you enter each time you start Sotto.</source>
        <translation>Sotto bewahrt für jeden verifizierten Kontakt ein Geheimnis auf, damit spätere Sitzungen keinen neuen Code brauchen. Ohne Schlüsselbund kann es sie unter einer Passphrase verschlüsselt aufbewahren, die Sie bei jedem Start von Sotto eingeben.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Passphrase</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Passphrase for remembered contacts</source>
        <translation>Passphrase für gemerkte Kontakte</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>End encryption with %1?</source>
        <translation>Verschlüsselung mit %1 beenden?</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>End encryption</source>
        <translation>Verschlüsselung beenden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Keep encrypting</source>
        <translation>Weiter verschlüsseln</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The encrypted session ends, and what you write to %1 afterwards is sent unencrypted: the servers on the way can read it. You can start a new encrypted session at any time.</source>
        <translation>Die verschlüsselte Sitzung endet, und was Sie danach an %1 schreiben, wird unverschlüsselt gesendet: Die Server auf dem Weg können es lesen. Sie können jederzeit eine neue verschlüsselte Sitzung starten.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Allow the older code with %1?</source>
        <translation>Den älteren Code mit %1 erlauben?</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Allow and retry</source>
        <translation>Erlauben und erneut versuchen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1&apos;s client only knows the older verification code (sas28x5). The conversation will be encrypted, but someone in the middle could make that code match on both sides, so comparing it proves less than Sotto&apos;s own code. You can switch this off again in Settings &gt; Encryption.</source>
        <translation>Das Programm von %1 kennt nur den älteren Prüfcode (sas28x5). Das Gespräch wird verschlüsselt, aber jemand dazwischen könnte diesen Code auf beiden Seiten gleich aussehen lassen; der Vergleich beweist daher weniger als Sottos eigener Code. Sie können das unter Einstellungen &gt; Verschlüsselung wieder ausschalten.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Send unencrypted to %1?</source>
        <translation>Unverschlüsselt an %1 senden?</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Send unencrypted</source>
        <translation>Unverschlüsselt senden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Keep waiting</source>
        <translation>Weiter warten</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The messages that wait for encryption, and what you write to %1 next, are sent unencrypted: the servers on the way can read them. Choose this only if nothing in them is private.</source>
        <translation>Die Nachrichten, die auf Verschlüsselung warten, und was Sie als Nächstes an %1 schreiben, werden unverschlüsselt gesendet: Die Server auf dem Weg können sie lesen. Wählen Sie das nur, wenn nichts darin vertraulich ist.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>‹ Contacts</source>
        <translation>‹ Kontakte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to the contacts</source>
        <translation>Zurück zu den Kontakten</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>Start encrypted session</source>
        <translation>Verschlüsselte Sitzung starten</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>End encryption…</source>
        <translation>Verschlüsselung beenden…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>End the encrypted session with %1</source>
        <translation>Die verschlüsselte Sitzung mit %1 beenden</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+136"/>
        <source>Verify…</source>
        <translation>Verifizieren…</translation>
    </message>
    <message>
        <location line="-135"/>
        <source>Verify %1 by comparing a code</source>
        <translation>%1 durch Vergleich eines Codes verifizieren</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>%1 is not in your contacts and asks for an encrypted session. Answering, even with no, tells them you are online.</source>
        <translation>%1 ist nicht in Ihren Kontakten und bittet um eine verschlüsselte Sitzung. Jede Antwort, auch ein Nein, verrät, dass Sie online sind.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Accept</source>
        <translation>Annehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accept the encrypted session with %1</source>
        <translation>Die verschlüsselte Sitzung mit %1 annehmen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Decline</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decline the encrypted session with %1</source>
        <translation>Die verschlüsselte Sitzung mit %1 ablehnen</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>What you write waits and is sent only encrypted.</source>
        <translation>Was Sie schreiben, wartet und wird nur verschlüsselt gesendet.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Setting up an encrypted session with %1… %2</source>
        <translation>Eine verschlüsselte Sitzung mit %1 wird eingerichtet… %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This conversation is encrypted, and no session with %1 is up right now. %2 A new session starts with your next message, or with Retry.</source>
        <translation>Dieses Gespräch ist verschlüsselt, und gerade besteht keine Sitzung mit %1. %2 Eine neue Sitzung beginnt mit Ihrer nächsten Nachricht oder mit „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Allow the older code…</source>
        <translation>Älteren Code erlauben…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Allow the older verification code with %1</source>
        <translation>Den älteren Prüfcode mit %1 erlauben</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Retry</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Try the encrypted session with %1 again</source>
        <translation>Die verschlüsselte Sitzung mit %1 erneut versuchen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Send unencrypted…</source>
        <translation>Unverschlüsselt senden…</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>The encryption identity of %1 changed since you verified it. A reinstall or a new device looks the same as someone intercepting the conversation: compare the code again before sharing anything sensitive.</source>
        <translation>Die Verschlüsselungsidentität von %1 hat sich geändert, seit Sie sie verifiziert haben. Eine Neuinstallation oder ein neues Gerät sieht genauso aus wie jemand, der das Gespräch abfängt: Vergleichen Sie den Code erneut, bevor Sie etwas Vertrauliches teilen.</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>%1 holds the secret you kept for %2: it went into this session&apos;s key and now belongs to %1. A new address is not proof of who this is: compare the code to verify %1.</source>
        <translation>%1 besitzt das Geheimnis, das Sie für %2 aufbewahrt haben: Es ist in den Schlüssel dieser Sitzung eingegangen und gehört jetzt zu %1. Eine neue Adresse beweist nicht, wer das ist: Vergleichen Sie den Code, um %1 zu verifizieren.</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Use a passphrase…</source>
        <translation>Eine Passphrase verwenden…</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unlock…</source>
        <translation>Entsperren…</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>You, %1, %2: %3</source>
        <translation>Sie, %1, %2: %3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, %2, could not be decrypted: %3</source>
        <translation>%1, %2, nicht entschlüsselbar: %3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, %2, arrived unencrypted: %3</source>
        <translation>%1, %2, unverschlüsselt angekommen: %3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1, %2: %3</source>
        <translation>%1, %2: %3</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>This message is stored encrypted and cannot be opened now: the key that protects your history is locked, or it was kept for one run only.</source>
        <translation>Diese Nachricht ist verschlüsselt gespeichert und kann gerade nicht geöffnet werden: Der Schlüssel, der Ihren Verlauf schützt, ist gesperrt, oder sie wurde nur für einen Programmlauf aufbewahrt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>⚠ This message could not be decrypted: %1</source>
        <translation>⚠ Diese Nachricht konnte nicht entschlüsselt werden: %1</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Renegotiate</source>
        <translation>Neu aushandeln</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start a new encrypted session with %1</source>
        <translation>Eine neue verschlüsselte Sitzung mit %1 starten</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>⚠ arrived unencrypted</source>
        <translation>⚠ unverschlüsselt angekommen</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>could not be decrypted</source>
        <translation>nicht entschlüsselbar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>encrypted, verified</source>
        <translation>verschlüsselt, verifiziert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>encrypted, not verified</source>
        <translation>verschlüsselt, nicht verifiziert</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No messages yet. Say hello!</source>
        <translation>Noch keine Nachrichten. Sagen Sie Hallo!</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Write a message (Enter sends, Shift+Enter adds a line)</source>
        <translation>Nachricht schreiben (Eingabe sendet, Umschalt+Eingabe beginnt eine neue Zeile)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Message to %1</source>
        <translation>Nachricht an %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
</context>
<context>
    <name>ConnectionBanner</name>
    <message>
        <location filename="../ui/qml/ConnectionBanner.qml" line="+60"/>
        <source>Reconnect</source>
        <translation>Neu verbinden</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Log in…</source>
        <translation>Anmelden…</translation>
    </message>
</context>
<context>
    <name>ContactListModel</name>
    <message>
        <location filename="../ui/ContactListModel.cpp" line="+80"/>
        <source>online</source>
        <translation>online</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>offline</source>
        <translation>offline</translation>
    </message>
</context>
<context>
    <name>ContactsPage</name>
    <message>
        <location filename="../ui/qml/ContactsPage.qml" line="+15"/>
        <location line="+9"/>
        <source>Contacts</source>
        <translation>Kontakte</translation>
    </message>
    <message>
        <location line="+12"/>
        <location line="+186"/>
        <source>Add contact</source>
        <translation>Kontakt hinzufügen</translation>
    </message>
    <message>
        <location line="-181"/>
        <source>Encryption…</source>
        <translation>Verschlüsselung…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Encryption settings</source>
        <translation>Einstellungen zur Verschlüsselung</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Log out</source>
        <translation>Abmelden</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>%1 would like to add you as a contact.</source>
        <translation>%1 möchte Sie als Kontakt hinzufügen.</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+40"/>
        <source>Accept</source>
        <translation>Annehmen</translation>
    </message>
    <message>
        <location line="-39"/>
        <source>Accept %1</source>
        <translation>%1 annehmen</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+41"/>
        <source>Decline</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <location line="-40"/>
        <source>Decline %1</source>
        <translation>%1 ablehnen</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>%1 is not in your contacts and asks for an encrypted session. Answering, even with no, tells them you are online.</source>
        <translation>%1 ist nicht in Ihren Kontakten und bittet um eine verschlüsselte Sitzung. Jede Antwort, auch ein Nein, verrät, dass Sie online sind.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Accept the encrypted session with %1</source>
        <translation>Die verschlüsselte Sitzung mit %1 annehmen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Decline the encrypted session with %1</source>
        <translation>Die verschlüsselte Sitzung mit %1 ablehnen</translation>
    </message>
    <message numerus="yes">
        <location line="+27"/>
        <source>%1, %2, unread messages: %n</source>
        <translation>
            <numerusform>%1, %2, %n ungelesene Nachricht</numerusform>
            <numerusform>%1, %2, %n ungelesene Nachrichten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+36"/>
        <source>Unread messages: %n</source>
        <translation>
            <numerusform>%n ungelesene Nachricht</numerusform>
            <numerusform>%n ungelesene Nachrichten</numerusform>
        </translation>
    </message>
    <message>
        <location line="+17"/>
        <source>No contacts yet. Add one with “Add contact”.</source>
        <translation>Noch keine Kontakte. Fügen Sie einen mit „Kontakt hinzufügen“ hinzu.</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>Their address</source>
        <translation>Adresse des Kontakts</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>name@example.org</source>
        <translation>name@example.org</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Address of the new contact</source>
        <translation>Adresse des neuen Kontakts</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>They will be asked to share their presence with you.</source>
        <translation>Der Kontakt wird gebeten, seinen Online-Status mit Ihnen zu teilen.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
</context>
<context>
    <name>ConversationModel</name>
    <message>
        <location filename="../ui/ConversationModel.cpp" line="+138"/>
        <source>online</source>
        <translation>online</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>offline</source>
        <translation>offline</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>queued</source>
        <translation>wartet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sending</source>
        <translation>wird gesendet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sent</source>
        <translation>gesendet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>received</source>
        <translation>empfangen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not delivered</source>
        <translation>nicht zugestellt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>could not be decrypted</source>
        <translation>nicht entschlüsselbar</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>delivered</source>
        <translation>zugestellt</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>waiting for encryption</source>
        <translation>wartet auf Verschlüsselung</translation>
    </message>
</context>
<context>
    <name>EncryptionSettingsModel</name>
    <message>
        <location filename="../ui/EncryptionSettingsModel.cpp" line="+103"/>
        <source>This secret cannot be opened with the current key; the next session will need a new code.</source>
        <translation>Dieses Geheimnis lässt sich mit dem aktuellen Schlüssel nicht öffnen; die nächste Sitzung braucht einen neuen Code.</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>Renewed in every session with this contact. Sessions it authenticated: %n, the last on %1.</source>
        <translation>
            <numerusform>In jeder Sitzung mit diesem Kontakt erneuert. Es hat %n Sitzung bestätigt, zuletzt am %1.</numerusform>
            <numerusform>In jeder Sitzung mit diesem Kontakt erneuert. Es hat %n Sitzungen bestätigt, zuletzt am %1.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Agreed on %1 in the first session with this contact; the next session will use it.</source>
        <translation>Am %1 in der ersten Sitzung mit diesem Kontakt vereinbart; die nächste Sitzung verwendet es.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>You compared the code with this contact on %1.</source>
        <translation>Sie haben den Code mit diesem Kontakt am %1 verglichen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not verified: compare the code in the next session.</source>
        <translation>Nicht verifiziert: Vergleichen Sie den Code in der nächsten Sitzung.</translation>
    </message>
</context>
<context>
    <name>EncryptionText</name>
    <message>
        <location filename="../ui/EncryptionText.cpp" line="+25"/>
        <source>The codes you compared with %1 did not match: someone may be in the middle. The session was ended.</source>
        <translation>Die Codes, die Sie mit %1 verglichen haben, stimmten nicht überein: Möglicherweise schaltet sich jemand dazwischen. Die Sitzung wurde beendet.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>An encrypted session with %1 cannot be started now.</source>
        <translation>Eine verschlüsselte Sitzung mit %1 kann gerade nicht gestartet werden.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>You declined %1&apos;s request for an encrypted session.</source>
        <translation>Sie haben die Anfrage von %1 nach einer verschlüsselten Sitzung abgelehnt.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>You ended the encrypted session with %1.</source>
        <translation>Sie haben die verschlüsselte Sitzung mit %1 beendet.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>You ended the encrypted session with %1, and their client did not confirm it in time. Messages that were not confirmed go again in the next session.</source>
        <translation>Sie haben die verschlüsselte Sitzung mit %1 beendet, und das Programm von %1 hat das nicht rechtzeitig bestätigt. Unbestätigte Nachrichten werden in der nächsten Sitzung erneut gesendet.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The encrypted session with %1 ended when you went offline. A new one starts with your next message, or with Retry.</source>
        <translation>Die verschlüsselte Sitzung mit %1 endete, als Sie offline gingen. Eine neue beginnt mit Ihrer nächsten Nachricht oder mit „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1&apos;s client went offline, so the encrypted session ended. A new one starts with your next message, or with Retry.</source>
        <translation>Das Programm von %1 ist offline gegangen, daher endete die verschlüsselte Sitzung. Eine neue beginnt mit Ihrer nächsten Nachricht oder mit „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 did not complete the encrypted session in time (their client may be offline or unable to answer).</source>
        <translation>%1 hat die verschlüsselte Sitzung nicht rechtzeitig abgeschlossen (das Programm ist vielleicht offline oder kann nicht antworten).</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>%1 ended the encrypted session.</source>
        <translation>%1 hat die verschlüsselte Sitzung beendet.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The encrypted session with %1 broke: a message was lost, repeated or altered on the way. Messages that were not confirmed go again in the next session.</source>
        <translation>Die verschlüsselte Sitzung mit %1 ist abgebrochen: Eine Nachricht ging unterwegs verloren, wurde wiederholt oder verändert. Unbestätigte Nachrichten werden in der nächsten Sitzung erneut gesendet.</translation>
    </message>
    <message>
        <location line="-10"/>
        <source>The encrypted session with %1 was ended.</source>
        <translation>Die verschlüsselte Sitzung mit %1 wurde beendet.</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>You went offline before the encrypted session with %1 was set up. It is tried again when you are back online, or with Retry.</source>
        <translation>Sie sind offline gegangen, bevor die verschlüsselte Sitzung mit %1 eingerichtet war. Sie wird erneut versucht, sobald Sie wieder online sind, oder mit „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Setting up the encrypted session with %1 was given up. Retry to start again.</source>
        <translation>Das Einrichten der verschlüsselten Sitzung mit %1 wurde aufgegeben. Mit „Erneut versuchen“ beginnt es von vorn.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 stopped the encrypted session while it was being set up. Retry to try again.</source>
        <translation>%1 hat die verschlüsselte Sitzung abgebrochen, während sie eingerichtet wurde. Mit „Erneut versuchen“ können Sie es noch einmal versuchen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1&apos;s client refused the encrypted session: it may not support this kind of encryption, or not with your settings. Retry later, or ask %1 which client they use.</source>
        <translation>Das Programm von %1 hat die verschlüsselte Sitzung abgewiesen: Es unterstützt diese Art der Verschlüsselung vielleicht nicht oder nicht mit Ihren Einstellungen. Versuchen Sie es später erneut, oder fragen Sie %1, welches Programm verwendet wird.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1&apos;s client could not verify this device, so the encrypted session did not start on their side. Someone may be interfering. Retry; if it keeps failing, check with %1 in person or by phone.</source>
        <translation>Das Programm von %1 konnte dieses Gerät nicht verifizieren, daher hat die verschlüsselte Sitzung dort nicht begonnen. Möglicherweise greift jemand ein. Versuchen Sie es erneut; wenn es weiter scheitert, klären Sie es mit %1 persönlich oder am Telefon.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1&apos;s identity could not be verified; someone may be interfering. Retry; if it keeps failing, check with %1 in person or by phone before you trust this conversation.</source>
        <translation>Die Identität von %1 konnte nicht verifiziert werden; möglicherweise greift jemand ein. Versuchen Sie es erneut; wenn es weiter scheitert, klären Sie es mit %1 persönlich oder am Telefon, bevor Sie diesem Gespräch vertrauen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1&apos;s identity could not be verified: the password you share with them differs from theirs, or someone is interfering. Check the password with %1, then Retry.</source>
        <translation>Die Identität von %1 konnte nicht verifiziert werden: Ihr gemeinsames Passwort unterscheidet sich von dem von %1, oder jemand greift ein. Prüfen Sie das Passwort mit %1, dann „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 presented a public key this device does not trust, so no encrypted session was set up. If their key changed, confirm the new one with them in person.</source>
        <translation>%1 hat einen öffentlichen Schlüssel vorgelegt, dem dieses Gerät nicht vertraut, daher wurde keine verschlüsselte Sitzung eingerichtet. Falls sich der Schlüssel geändert hat, bestätigen Sie den neuen persönlich mit %1.</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>it was encrypted for a session this device does not have (another of your devices, or one that was not set up here). Renegotiate to continue encrypted.</source>
        <translation>Sie wurde für eine Sitzung verschlüsselt, die dieses Gerät nicht hat (die eines anderen Ihrer Geräte oder eine, die hier nicht eingerichtet wurde). Mit „Neu aushandeln“ geht es verschlüsselt weiter.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>its encrypted session had already ended. Renegotiate, and the contact&apos;s client sends again what did not arrive.</source>
        <translation>Ihre verschlüsselte Sitzung war bereits beendet. Nach „Neu aushandeln“ sendet das Programm des Kontakts erneut, was nicht angekommen ist.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>it is a copy of a message from an encrypted session of another of your devices; only that device can read it.</source>
        <translation>Sie ist die Kopie einer Nachricht aus einer verschlüsselten Sitzung eines anderen Ihrer Geräte; nur dieses Gerät kann sie lesen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>one of your encrypted messages came back undelivered.</source>
        <translation>Eine Ihrer verschlüsselten Nachrichten kam unzugestellt zurück.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>it failed its integrity check: it was altered or repeated, or a message before it was lost. The session was ended; Renegotiate, and the contact&apos;s client sends again what did not arrive.</source>
        <translation>Sie hat die Integritätsprüfung nicht bestanden: Sie wurde verändert oder wiederholt, oder eine Nachricht davor ging verloren. Die Sitzung wurde beendet; nach „Neu aushandeln“ sendet das Programm des Kontakts erneut, was nicht angekommen ist.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>it was damaged or not valid. The session was ended; Renegotiate, and the contact&apos;s client sends again what did not arrive.</source>
        <translation>Sie war beschädigt oder ungültig. Die Sitzung wurde beendet; nach „Neu aushandeln“ sendet das Programm des Kontakts erneut, was nicht angekommen ist.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the contact&apos;s client changed keys in a way this session does not allow. The session was ended; Renegotiate to start a new one.</source>
        <translation>Das Programm des Kontakts hat die Schlüssel auf eine Weise gewechselt, die diese Sitzung nicht erlaubt. Die Sitzung wurde beendet; mit „Neu aushandeln“ beginnt eine neue.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the session&apos;s key was used up. Renegotiate to start a new session.</source>
        <translation>Der Schlüssel der Sitzung war aufgebraucht. Mit „Neu aushandeln“ beginnt eine neue Sitzung.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the encryption library on this device failed. Renegotiate; if it keeps failing, restart Sotto.</source>
        <translation>Die Verschlüsselungsbibliothek auf diesem Gerät ist gescheitert. Versuchen Sie „Neu aushandeln“; wenn es weiter scheitert, starten Sie Sotto neu.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>this version of Sotto does not know why.</source>
        <translation>Diese Version von Sotto kennt den Grund nicht.</translation>
    </message>
    <message>
        <location line="-100"/>
        <source>%1 declined the encrypted session.</source>
        <translation>%1 hat die verschlüsselte Sitzung abgelehnt.</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>%1&apos;s client only knows the older verification code (sas28x5), which someone in the middle can fake. To talk to it anyway, choose &quot;Allow the older code…&quot; (or switch on compatibility for this contact in Settings &gt; Encryption).</source>
        <translation>Das Programm von %1 kennt nur den älteren Prüfcode (sas28x5), den jemand dazwischen fälschen kann. Um trotzdem verschlüsselt zu schreiben, wählen Sie „Älteren Code erlauben…“ (oder schalten Sie unter Einstellungen &gt; Verschlüsselung die Kompatibilität für diesen Kontakt ein).</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1&apos;s client and Sotto could not agree on how to encrypt: one of them asks for settings the other does not accept (for example the key exchange groups in Settings &gt; Encryption).</source>
        <translation>Das Programm von %1 und Sotto konnten sich nicht auf die Verschlüsselung einigen: Eines verlangt Einstellungen, die das andere nicht akzeptiert (zum Beispiel die Schlüsselaustauschgruppen unter Einstellungen &gt; Verschlüsselung).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1&apos;s client offered only a session that is not encrypted end to end, which Sotto never sets up.</source>
        <translation>Das Programm von %1 hat nur eine Sitzung ohne Ende-zu-Ende-Verschlüsselung angeboten, und die richtet Sotto nie ein.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1&apos;s client asked for a kind of encrypted session without a verification code, which Sotto does not set up with people. Start the encrypted session from your side with Retry.</source>
        <translation>Das Programm von %1 hat eine Art verschlüsselter Sitzung ohne Verifizierungscode verlangt, die Sotto mit Personen nicht einrichtet. Starten Sie die verschlüsselte Sitzung von Ihrer Seite mit „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1&apos;s client sent something Sotto cannot accept while setting up the encrypted session (it may have been changed on the way). Retry; if it keeps failing, their client may not work with Sotto.</source>
        <translation>Das Programm von %1 hat beim Einrichten der verschlüsselten Sitzung etwas gesendet, das Sotto nicht akzeptieren kann (vielleicht wurde es unterwegs verändert). Versuchen Sie es erneut; wenn es weiter scheitert, arbeitet dieses Programm vielleicht nicht mit Sotto zusammen.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Your encryption settings leave nothing to offer %1. Check Settings &gt; Encryption, then Retry.</source>
        <translation>Ihre Verschlüsselungseinstellungen lassen nichts übrig, was %1 angeboten werden könnte. Prüfen Sie Einstellungen &gt; Verschlüsselung, dann „Erneut versuchen“.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This device could not produce the secure random numbers encryption needs, so no session with %1 was set up. Retry; if it keeps failing, restart Sotto.</source>
        <translation>Dieses Gerät konnte die sicheren Zufallszahlen nicht erzeugen, die Verschlüsselung braucht, daher wurde keine Sitzung mit %1 eingerichtet. Versuchen Sie es erneut; wenn es weiter scheitert, starten Sie Sotto neu.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Sotto could not do its part in setting up the encrypted session with %1 (an internal error). Retry; if it keeps failing, restart Sotto.</source>
        <translation>Sotto konnte seinen Teil beim Einrichten der verschlüsselten Sitzung mit %1 nicht leisten (ein interner Fehler). Versuchen Sie es erneut; wenn es weiter scheitert, starten Sie Sotto neu.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The encrypted session with %1 could not be set up.</source>
        <translation>Die verschlüsselte Sitzung mit %1 konnte nicht eingerichtet werden.</translation>
    </message>
</context>
<context>
    <name>KeyVault</name>
    <message>
        <location filename="../core/storage/KeyVault.cpp" line="+70"/>
        <source>no keyring is available on this desktop</source>
        <translation>auf diesem Desktop ist kein Schlüsselbund verfügbar</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the keyring is locked or refused access</source>
        <translation>der Schlüsselbund ist gesperrt oder hat den Zugriff verweigert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the keyring no longer holds Sotto&apos;s key</source>
        <translation>der Schlüsselbund enthält den Schlüssel von Sotto nicht mehr</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the keyring failed</source>
        <translation>der Schlüsselbund hat versagt</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>could not write the vault file</source>
        <translation>die Tresordatei konnte nicht geschrieben werden</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>this account already has a vault</source>
        <translation>dieses Konto hat bereits einen Tresor</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+57"/>
        <source>the passphrase is empty</source>
        <translation>die Passphrase ist leer</translation>
    </message>
    <message>
        <location line="-51"/>
        <source>no secure random source</source>
        <translation>keine sichere Zufallsquelle</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+51"/>
        <source>the passphrase could not be processed</source>
        <translation>die Passphrase konnte nicht verarbeitet werden</translation>
    </message>
    <message>
        <location line="-37"/>
        <source>this account&apos;s key is not protected by a passphrase</source>
        <translation>der Schlüssel dieses Kontos ist nicht durch eine Passphrase geschützt</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the vault file is damaged</source>
        <translation>die Tresordatei ist beschädigt</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>wrong passphrase</source>
        <translation>falsche Passphrase</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>this account&apos;s key is protected by a passphrase</source>
        <translation>der Schlüssel dieses Kontos ist durch eine Passphrase geschützt</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+34"/>
        <source>the keyring did not answer</source>
        <translation>der Schlüsselbund hat nicht geantwortet</translation>
    </message>
    <message>
        <location line="-23"/>
        <source>the key in the keyring is damaged</source>
        <translation>der Schlüssel im Schlüsselbund ist beschädigt</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <location filename="../ui/qml/LoginPage.qml" line="+19"/>
        <location line="+217"/>
        <source>Log in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <location line="-174"/>
        <source>Sotto</source>
        <translation>Sotto</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Private conversations over XMPP</source>
        <translation>Vertrauliche Gespräche über XMPP</translation>
    </message>
    <message>
        <location line="+13"/>
        <location line="+8"/>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>name@example.org</source>
        <translation>name@example.org</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+7"/>
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>optional: found from the address</source>
        <translation>optional: wird aus der Adresse ermittelt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Server host name (optional)</source>
        <translation>Hostname des Servers (optional)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>optional: 5222</source>
        <translation>optional: 5222</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Server port (optional)</source>
        <translation>Port des Servers (optional)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Certificate</source>
        <translation>Zertifikat</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>optional: path of a PEM file to trust</source>
        <translation>optional: Pfad einer PEM-Datei, der vertraut wird</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Certificate file to trust (optional)</source>
        <translation>Zertifikatsdatei, der vertraut wird (optional)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>With a certificate file, only that certificate is trusted for the connection. Without one, the system&apos;s certificate authorities are.</source>
        <translation>Mit einer Zertifikatsdatei wird für die Verbindung nur diesem Zertifikat vertraut, ohne sie den Zertifizierungsstellen des Systems.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Remember the password on this computer</source>
        <translation>Passwort auf diesem Computer speichern</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>It is stored encrypted under the key in your keyring, or under your passphrase; never in plain text. Without a keyring or passphrase it is not stored.</source>
        <translation>Es wird mit dem Schlüssel aus Ihrem Schlüsselbund oder mit Ihrer Passphrase verschlüsselt gespeichert, nie im Klartext. Ohne Schlüsselbund oder Passphrase wird es nicht gespeichert.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Logging in without this forgets a password remembered before.</source>
        <translation>Wenn Sie sich ohne diese Option anmelden, wird ein zuvor gespeichertes Passwort vergessen.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Passphrase</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Passphrase that protects the remembered password</source>
        <translation>Passphrase, die das gespeicherte Passwort schützt</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Log in with the remembered password</source>
        <translation>Mit dem gespeicherten Passwort anmelden</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Open without connecting</source>
        <translation>Ohne Verbindung öffnen</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Logging in…</source>
        <translation>Anmeldung läuft…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Continue offline</source>
        <translation>Offline fortfahren</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../ui/qml/Main.qml" line="+16"/>
        <source>Sotto — %1</source>
        <translation>Sotto — %1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sotto</source>
        <translation>Sotto</translation>
    </message>
</context>
<context>
    <name>Messenger</name>
    <message>
        <location filename="../core/session/Messenger.cpp" line="+85"/>
        <source>The message is too long to send (at most %1 KiB); split it into several.</source>
        <translation>Die Nachricht ist zu lang zum Senden (höchstens %1 KiB); teilen Sie sie auf mehrere auf.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The message could not be stored.</source>
        <translation>Die Nachricht konnte nicht gespeichert werden.</translation>
    </message>
</context>
<context>
    <name>SasDialog</name>
    <message>
        <location filename="../ui/qml/SasDialog.qml" line="+21"/>
        <source>Verify %1</source>
        <translation>%1 verifizieren</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>Call %1 or meet in person. Read the code below aloud to each other: it must be the same on both screens.</source>
        <translation>Rufen Sie %1 an oder treffen Sie sich. Lesen Sie einander den Code unten vor: Er muss auf beiden Bildschirmen gleich sein.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Did you compare this code with %1 by voice or in person, and is every character the same? Only then mark them as verified: a code sent in a chat message proves nothing.</source>
        <translation>Haben Sie diesen Code mit %1 mündlich oder persönlich verglichen, und stimmt jedes Zeichen überein? Nur dann als verifiziert markieren: Ein per Chatnachricht geschickter Code beweist nichts.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 is marked as verified. The codes matched, but this older kind of code can be made to match by someone in the middle, so it proves less than Sotto&apos;s own code. You will be warned if their encryption identity changes.</source>
        <translation>%1 ist als verifiziert markiert. Die Codes stimmten überein, aber bei dieser älteren Art von Code kann jemand, der sich dazwischenschaltet, die Übereinstimmung herbeiführen: Sie beweist weniger als Sottos eigener Code. Sie werden gewarnt, wenn sich die Verschlüsselungsidentität ändert.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 is verified. The codes matched, so nobody sits between you in this session. You will be warned if their encryption identity changes.</source>
        <translation>%1 ist verifiziert. Die Codes stimmten überein, also sitzt in dieser Sitzung niemand zwischen Ihnen. Sie werden gewarnt, wenn sich die Verschlüsselungsidentität ändert.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The codes differ: someone may be intercepting this conversation. The encrypted session with %1 was ended. Send nothing sensitive until a new session&apos;s code matches.</source>
        <translation>Die Codes unterscheiden sich: Möglicherweise fängt jemand dieses Gespräch ab. Die verschlüsselte Sitzung mit %1 wurde beendet. Senden Sie nichts Vertrauliches, bis der Code einer neuen Sitzung übereinstimmt.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Verification cancelled. %1 is not verified.</source>
        <translation>Verifizierung abgebrochen. %1 ist nicht verifiziert.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>You verified %1 before and this session still uses that secret: comparing again is optional.</source>
        <translation>Sie haben %1 bereits verifiziert, und diese Sitzung nutzt noch dasselbe Geheimnis: Ein erneuter Vergleich ist freiwillig.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Warning: older ESession code (sas28x5): weaker — someone in the middle could make it match</source>
        <translation>Warnung: älterer ESession-Code (sas28x5): schwächer – jemand, der sich dazwischenschaltet, könnte ihn übereinstimmen lassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sotto verification code</source>
        <translation>Sotto-Verifizierungscode</translation>
    </message>
    <message>
        <location line="+72"/>
        <source>Later</source>
        <translation>Später</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>They don&apos;t match</source>
        <translation>Sie stimmen nicht überein</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>They match</source>
        <translation>Sie stimmen überein</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Yes, mark as verified</source>
        <translation>Ja, als verifiziert markieren</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../ui/qml/SettingsPage.qml" line="+42"/>
        <source>‹ Contacts</source>
        <translation>‹ Kontakte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to the contacts</source>
        <translation>Zurück zu den Kontakten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Encryption</source>
        <translation>Verschlüsselung</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>For each contact you talked to in an encrypted session, Sotto keeps a secret that proves it is the same person next time. A verified secret means you once compared the code with them; forgetting it means the next session needs a new comparison.</source>
        <translation>Für jeden Kontakt, mit dem Sie in einer verschlüsselten Sitzung gesprochen haben, bewahrt Sotto ein Geheimnis auf, das beim nächsten Mal beweist, dass es dieselbe Person ist. Ein verifiziertes Geheimnis bedeutet, dass Sie einmal den Code mit ihr verglichen haben; wird es vergessen, braucht die nächste Sitzung einen neuen Vergleich.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>The key that protects them is in your desktop keyring.</source>
        <translation>Der Schlüssel, der sie schützt, liegt im Schlüsselbund Ihres Desktops.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The key that protects them is protected by your passphrase.</source>
        <translation>Der Schlüssel, der sie schützt, ist durch Ihre Passphrase geschützt.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The key that protects them, and your message history, is locked: unlock it with your passphrase.</source>
        <translation>Der Schlüssel, der sie und Ihren Nachrichtenverlauf schützt, ist gesperrt: Entsperren Sie ihn mit Ihrer Passphrase.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>They are kept for this run only: there is no keyring and no passphrase yet.</source>
        <translation>Sie werden nur für diesen Programmlauf aufbewahrt: Es gibt noch keinen Schlüsselbund und keine Passphrase.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Unlock…</source>
        <translation>Entsperren…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Change passphrase…</source>
        <translation>Passphrase ändern…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Lock now</source>
        <translation>Jetzt sperren</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Key exchange strength</source>
        <translation>Stärke des Schlüsselaustauschs</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>New encrypted sessions offer the ticked groups, strongest first, and accept only these from contacts. A bigger group is stronger but slower: the first handshake with group 18 takes about a second. Groups 1, 2 and 5 are too weak and are never used.</source>
        <translation>Neue verschlüsselte Sitzungen bieten die angekreuzten Gruppen an, die stärkste zuerst, und nehmen von Kontakten nur diese an. Eine größere Gruppe ist stärker, aber langsamer: Der erste Schlüsselaustausch mit Gruppe 18 dauert etwa eine Sekunde. Die Gruppen 1, 2 und 5 sind zu schwach und werden nie verwendet.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Group %1 (%2-bit)</source>
        <translation>Gruppe %1 (%2 Bit)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Offer group %1 (%2-bit)</source>
        <translation>Gruppe %1 (%2 Bit) anbieten</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep at least one group: without one, no encrypted session can start.</source>
        <translation>Mindestens eine Gruppe muss bleiben: Ohne sie kann keine verschlüsselte Sitzung beginnen.</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The remembered secrets are locked.</source>
        <translation>Die gemerkten Geheimnisse sind gesperrt.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Nothing remembered yet.</source>
        <translation>Noch nichts gemerkt.</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>verified</source>
        <translation>verifiziert</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Encrypted sessions:</source>
        <translation>Verschlüsselte Sitzungen:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ask</source>
        <translation>Fragen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Always</source>
        <translation>Immer</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Encrypted sessions with %1</source>
        <translation>Verschlüsselte Sitzungen mit %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Mark as unverified</source>
        <translation>Als nicht verifiziert markieren</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Forget…</source>
        <translation>Vergessen…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Compatibility with other ESession clients</source>
        <translation>Kompatibilität mit anderen ESession-Programmen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Compatibility with other ESession clients for %1</source>
        <translation>Kompatibilität mit anderen ESession-Programmen für %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Allows their older verification code (sas28x5). Someone in the middle could make that code match, so a code compared with such a client proves less than Sotto&apos;s own.</source>
        <translation>Erlaubt deren älteren Verifizierungscode (sas28x5). Jemand, der sich dazwischenschaltet, könnte diesen Code übereinstimmen lassen; ein mit einem solchen Programm verglichener Code beweist daher weniger als Sottos eigener.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Unlock your history</source>
        <translation>Verlauf entsperren</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Passphrase</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Change passphrase</source>
        <translation>Passphrase ändern</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Current passphrase</source>
        <translation>Aktuelle Passphrase</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>New passphrase</source>
        <translation>Neue Passphrase</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Forget this secret?</source>
        <translation>Dieses Geheimnis vergessen?</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The next encrypted session with %1 will not be recognised as the same person: you will need to compare a new code with them by voice or in person.</source>
        <translation>Die nächste verschlüsselte Sitzung mit %1 wird nicht als dieselbe Person erkannt: Sie müssen mündlich oder persönlich einen neuen Code mit ihr vergleichen.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Forget this secret</source>
        <translation>Dieses Geheimnis vergessen</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Forget all for this contact</source>
        <translation>Alles für diesen Kontakt vergessen</translation>
    </message>
</context>
<context>
    <name>SsnHandler</name>
    <message>
        <location filename="../core/xmpp/SsnHandler.cpp" line="+22"/>
        <source>the contact declined the session</source>
        <translation>der Kontakt hat die Sitzung abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the contact declined the session: %1</source>
        <translation>der Kontakt hat die Sitzung abgelehnt: %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>you declined the session</source>
        <translation>Sie haben die Sitzung abgelehnt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the contact cancelled the session</source>
        <translation>der Kontakt hat die Sitzung abgebrochen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>you cancelled the session</source>
        <translation>Sie haben die Sitzung abgebrochen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the contact&apos;s client refused the session (%1)</source>
        <translation>das Programm des Kontakts hat die Sitzung verweigert (%1)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the contact&apos;s request could not be accepted (%1)</source>
        <translation>die Anfrage des Kontakts konnte nicht angenommen werden (%1)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the session request was given up</source>
        <translation>die Sitzungsanfrage wurde aufgegeben</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>the contact ended the session</source>
        <translation>der Kontakt hat die Sitzung beendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>you ended the session</source>
        <translation>Sie haben die Sitzung beendet</translation>
    </message>
</context>
<context>
    <name>VerificationFlow</name>
    <message>
        <location filename="../ui/VerificationFlow.cpp" line="+29"/>
        <source>alfa</source>
        <comment>spelling alphabet: a</comment>
        <translation>Alfa</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>charlie</source>
        <comment>spelling alphabet: c</comment>
        <translation>Charlie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>delta</source>
        <comment>spelling alphabet: d</comment>
        <translation>Delta</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>echo</source>
        <comment>spelling alphabet: e</comment>
        <translation>Echo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>foxtrot</source>
        <comment>spelling alphabet: f</comment>
        <translation>Foxtrot</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>golf</source>
        <comment>spelling alphabet: g</comment>
        <translation>Golf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>hotel</source>
        <comment>spelling alphabet: h</comment>
        <translation>Hotel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>india</source>
        <comment>spelling alphabet: i</comment>
        <translation>India</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>kilo</source>
        <comment>spelling alphabet: k</comment>
        <translation>Kilo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>mike</source>
        <comment>spelling alphabet: m</comment>
        <translation>Mike</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>oscar</source>
        <comment>spelling alphabet: o</comment>
        <translation>Oscar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>papa</source>
        <comment>spelling alphabet: p</comment>
        <translation>Papa</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>quebec</source>
        <comment>spelling alphabet: q</comment>
        <translation>Quebec</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>romeo</source>
        <comment>spelling alphabet: r</comment>
        <translation>Romeo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>uniform</source>
        <comment>spelling alphabet: u</comment>
        <translation>Uniform</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>victor</source>
        <comment>spelling alphabet: v</comment>
        <translation>Victor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>whiskey</source>
        <comment>spelling alphabet: w</comment>
        <translation>Whiskey</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>x-ray</source>
        <comment>spelling alphabet: x</comment>
        <translation>X-Ray</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>yankee</source>
        <comment>spelling alphabet: y</comment>
        <translation>Yankee</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>one</source>
        <comment>spelling alphabet: digit 1</comment>
        <translation>eins</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>two</source>
        <comment>spelling alphabet: digit 2</comment>
        <translation>zwo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>three</source>
        <comment>spelling alphabet: digit 3</comment>
        <translation>drei</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>four</source>
        <comment>spelling alphabet: digit 4</comment>
        <translation>vier</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>five</source>
        <comment>spelling alphabet: digit 5</comment>
        <translation>fünf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>six</source>
        <comment>spelling alphabet: digit 6</comment>
        <translation>sechs</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>seven</source>
        <comment>spelling alphabet: digit 7</comment>
        <translation>sieben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>eight</source>
        <comment>spelling alphabet: digit 8</comment>
        <translation>acht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>nine</source>
        <comment>spelling alphabet: digit 9</comment>
        <translation>neun</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Verification code %1, spelled %2</source>
        <extracomment>What a screen reader says for the verification code. %1: the code, %2: its characters as words.</extracomment>
        <translation>Verifizierungscode %1, buchstabiert %2</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>No contact to verify.</source>
        <translation>Kein Kontakt zum Verifizieren.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The verification code is not valid. Start a new encrypted session to get a new one.</source>
        <translation>Der Verifizierungscode ist ungültig. Starten Sie eine neue verschlüsselte Sitzung, um einen neuen zu erhalten.</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <location filename="../app/gui/main.cpp" line="+33"/>
        <source>cannot read the password file %1</source>
        <translation>die Passwortdatei %1 kann nicht gelesen werden</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the password file %1 is empty</source>
        <translation>die Passwortdatei %1 ist leer</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Sotto: encrypted XMPP chat. Without options, the login page shows.</source>
        <translation>Sotto: verschlüsselter XMPP-Chat. Ohne Optionen erscheint die Anmeldeseite.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Log in (or open) this account.</source>
        <translation>Dieses Konto anmelden (oder öffnen).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Read the password from the first line of this file.</source>
        <translation>Das Passwort aus der ersten Zeile dieser Datei lesen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Server host (overrides DNS).</source>
        <translation>Server-Host (statt DNS).</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Server port.</source>
        <translation>Server-Port.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Trust exactly this PEM certificate for TLS.</source>
        <translation>Für TLS genau diesem PEM-Zertifikat vertrauen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Account state directory (default: per account under the XDG data directory).</source>
        <translation>Verzeichnis für die Kontodaten (Standard: je Konto im XDG-Datenverzeichnis).</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Open the conversation with this contact at start.</source>
        <translation>Beim Start das Gespräch mit diesem Kontakt öffnen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Do not use the desktop keyring: verified contacts are remembered for this run only.</source>
        <translation>Den Schlüsselbund des Desktops nicht verwenden: Verifizierte Kontakte werden nur für diesen Programmlauf gemerkt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open the account given with --jid without connecting: history can be read and new messages wait until you log in.</source>
        <translation>Das mit --jid angegebene Konto ohne Verbindung öffnen: Der Verlauf ist lesbar, und neue Nachrichten warten, bis Sie sich anmelden.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>--password-file needs --jid</source>
        <translation>--password-file braucht --jid</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>--offline and --password-file exclude each other</source>
        <translation>--offline und --password-file schließen einander aus</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>--port must be a number from 1 to 65535</source>
        <translation>--port muss eine Zahl von 1 bis 65535 sein</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>--jid needs --password-file or --offline</source>
        <translation>--jid braucht --password-file oder --offline</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>--open-chat needs a contact address like name@server</source>
        <translation>--open-chat braucht eine Kontaktadresse wie name@server</translation>
    </message>
</context>
</TS>
