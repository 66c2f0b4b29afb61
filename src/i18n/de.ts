// Every sentence of en.ts in German, addressing people formally ("Sie").
import type { Translation } from './translation.ts';

export const de = {
  layout: {
    languages: 'Sprache',
    show_password: 'Passwort anzeigen',
    hide_password: 'Passwort verbergen',
  },
  error: {
    invalid_input: { title: 'Bitte prüfen Sie Ihre Angaben' },
    email_taken: {
      title: 'E-Mail-Adresse nicht verfügbar',
      message: 'Diese E-Mail-Adresse kann nicht für ein neues Konto verwendet werden.',
    },
    invalid_credentials: {
      title: 'Anmeldung fehlgeschlagen',
      message: 'Die E-Mail-Adresse oder das Passwort ist falsch.',
    },
    too_many_attempts: {
      title: 'Zu viele Versuche',
      message_one: 'Zu viele Versuche. Versuchen Sie es in {{count, number}} Minute erneut.',
      message_other: 'Zu viele Versuche. Versuchen Sie es in {{count, number}} Minuten erneut.',
    },
    hashing_busy: {
      title: 'Gerade ausgelastet',
      message_one:
        'Im Moment werden zu viele Anmeldungen geprüft. Warten Sie {{count, number}} Sekunde und versuchen Sie es erneut.',
      message_other:
        'Im Moment werden zu viele Anmeldungen geprüft. Warten Sie {{count, number}} Sekunden und versuchen Sie es erneut.',
    },
    identity_already_linked: {
      title: 'Bereits verknüpft',
      message: 'Diese Anmeldung ist bereits mit einem anderen Konto verknüpft.',
    },
    last_sign_in_method: {
      title: 'Entfernen nicht möglich',
      message:
        'Dies ist die einzige Möglichkeit, sich bei dem Konto anzumelden, daher kann sie nicht entfernt werden.',
    },
    account_not_found: { title: 'Nicht gefunden', message: 'Das Konto existiert nicht.' },
    refused: { title: 'Anfrage abgelehnt' },
    session_expired: {
      title: 'Diese Seite ist abgelaufen',
      message:
        'Diese Anmeldeseite ist abgelaufen oder wurde in einem anderen Browser geöffnet. Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.',
    },
    page_not_found: {
      title: 'Seite nicht gefunden',
      message: 'Die angeforderte Seite existiert nicht.',
    },
    store_unavailable: {
      title: 'Vorübergehend nicht verfügbar',
      message:
        'Der Dienst ist kurz nicht verfügbar. Versuchen Sie es in einigen Sekunden erneut; Ihre Eingaben sind nicht verloren.',
    },
    unstorable_value: {
      title: 'Anfrage abgelehnt',
      message: 'Die Anfrage enthält einen Wert, der nicht gespeichert werden kann.',
    },
    provider_failed: {
      title: 'Etwas ist schiefgelaufen',
      message: 'Ein unerwarteter Fehler ist aufgetreten.',
    },
    server_error: {
      title: 'Etwas ist schiefgelaufen',
      message:
        'Ein unerwarteter Fehler ist aufgetreten. Falls er wieder auftritt, geben Sie bitte die unten stehende Anfrage-ID an.',
    },
    upstream_denied: {
      title: 'Anmeldung abgebrochen',
      message:
        'Sie haben die Anmeldung mit {{upstream}} abgebrochen. Wählen Sie eine andere Anmeldemöglichkeit.',
    },
    upstream_account_not_allowed: {
      title: 'Konto nicht zugelassen',
      message: 'Hier können sich nur {{upstream}}-Konten von {{domain}} anmelden.',
    },
    upstream_unavailable: {
      title: '{{upstream}} ist nicht erreichbar',
      message:
        '{{upstream}} hat nicht rechtzeitig geantwortet oder hatte ein Problem. Versuchen Sie es in einigen Minuten erneut oder melden Sie sich auf andere Weise an.',
    },
    upstream_rejected: {
      title: 'Anmeldung mit {{upstream}} fehlgeschlagen',
      message:
        'Die Antwort von {{upstream}} konnte nicht angenommen werden. Versuchen Sie es erneut oder melden Sie sich auf andere Weise an.',
    },
  },
  request: {
    method_not_allowed: '{{method}} wird nicht unterstützt.',
    compressed: 'Komprimierte Anfrageinhalte werden nicht angenommen.',
    too_large: 'Der Anfrageinhalt ist größer als {{limit}} Byte.',
    already_read: 'Der Anfrageinhalt wurde bereits gelesen.',
    cut_off: 'Der Anfrageinhalt wurde abgeschnitten.',
    not_utf8: 'Der Anfrageinhalt ist kein gültiges UTF-8.',
    field_repeated: 'Das Feld „{{field}}“ wurde mehr als einmal gesendet.',
    field_too_long: 'Das Feld „{{field}}“ ist zu lang.',
    field_control: 'Das Feld „{{field}}“ enthält Steuerzeichen.',
    form_only: 'Dieses Formular nimmt nur Inhalte vom Typ application/x-www-form-urlencoded an.',
    json_only: 'Senden Sie den Inhalt als application/json.',
    json_invalid: 'Der Anfrageinhalt ist kein gültiges JSON.',
    json_not_object: 'Der Anfrageinhalt muss ein JSON-Objekt sein.',
    json_control: '„{{field}}“ enthält Steuerzeichen.',
    cross_site: 'Dieses Formular wurde von einer anderen Website gesendet und abgelehnt.',
    form_expired:
      'Dieses Formular ist abgelaufen oder wurde nicht von dieser Website gesendet. Gehen Sie zurück und versuchen Sie es erneut.',
    account_form_expired:
      'Dieses Formular ist abgelaufen oder wurde nicht von dieser Website gesendet. Laden Sie die Seite neu und versuchen Sie es erneut.',
  },
  api: {
    token_required: 'Ein Bearer-Zugriffstoken ist erforderlich.',
    malformed_header: 'Fehlerhafter Authorization-Header',
    token_invalid: 'Das Zugriffstoken ist ungültig oder abgelaufen',
    wrong_audience: 'Das Zugriffstoken wurde nicht für diese API ausgestellt',
    sender_constrained: 'An den Absender gebundene Tokens werden hier nicht angenommen',
    not_first_party: 'Das Zugriffstoken wurde nicht für eine eigene Anwendung ausgestellt',
    token_revoked: 'Das Zugriffstoken wurde widerrufen',
    account_gone: 'Das Konto existiert nicht mehr',
    scope_needed: 'Das Zugriffstoken benötigt den Scope „{{scope}}“.',
    unknown_fields: 'Unbekannte Felder: {{fields}}.',
    name_type: '„name“ muss eine Zeichenkette sein.',
    picture_type: '„picture“ muss eine Zeichenkette oder null sein.',
  },
  token: {
    code_expired:
      'Der Autorisierungscode ist abgelaufen (Codes gelten 60 Sekunden). Starten Sie die Anmeldung erneut.',
    code_used:
      'Der Autorisierungscode wurde bereits verwendet; ein Code kann nur einmal eingelöst werden, und seine Tokens wurden widerrufen.',
    code_unknown:
      'Der Autorisierungscode ist unbekannt: Er wurde nie ausgestellt, ist abgelaufen, oder seine Berechtigung wurde widerrufen.',
    refresh_expired: 'Das Aktualisierungstoken ist abgelaufen. Melden Sie sich erneut an.',
    refresh_used:
      'Das Aktualisierungstoken wurde bereits verwendet; jede Aktualisierung liefert ein neues, und eine Wiederverwendung widerruft die Berechtigung.',
    refresh_unknown:
      'Das Aktualisierungstoken ist unbekannt: Es wurde nie ausgestellt, ist abgelaufen, oder seine Berechtigung wurde widerrufen.',
  },
  interaction: {
    step_done:
      'Dieser Schritt der Anmeldung ist bereits erledigt. Kehren Sie zur Anwendung zurück.',
    step_unsupported: 'Dieser Anmeldeschritt wird nicht unterstützt.',
    choose_decision: 'Wählen Sie, ob Sie den Zugriff erlauben oder ablehnen.',
    upstream_not_enabled: 'Diese Anmeldemöglichkeit ist nicht aktiviert.',
    upstream_unreachable:
      '{{upstream}} ist gerade nicht erreichbar. Versuchen Sie es in einigen Minuten erneut oder melden Sie sich auf andere Weise an.',
    back_to_sign_in: 'Zurück zur Anmeldung',
  },
  common: {
    to_continue: 'um mit <strong>{{client}}</strong> fortzufahren',
    email: 'E-Mail-Adresse',
    password: 'Passwort',
    password_hint: 'Mindestens {{min}} Zeichen. Am besten ist eine lange Passphrase.',
    or: 'oder',
    cancel: 'Abbrechen und zur Anwendung zurückkehren',
    fix_these: 'Bitte korrigieren Sie Folgendes:',
  },
  login: {
    title: 'Anmelden',
    remember: 'Auf diesem Gerät angemeldet bleiben',
    submit: 'Anmelden',
    new_here: 'Neu hier?',
    create_account: 'Konto erstellen',
    missing: 'Geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein.',
    confirm: 'Melden Sie sich erneut an, um zu bestätigen, dass Sie es sind.',
    state_mismatch:
      'Diese Anmeldung mit {{upstream}} konnte nicht überprüft werden. Bitte versuchen Sie es erneut.',
    own_lede: 'um Ihr {{product}}-Konto zu sehen und zu verwalten',
    own_cancel: 'Abbrechen und zur Kontoseite zurückkehren',
  },
  signup: {
    title: 'Konto erstellen',
    name: 'Name',
    submit: 'Konto erstellen',
    have_account: 'Sie haben bereits ein Konto?',
    sign_in: 'Anmelden',
    email_taken:
      'Diese E-Mail-Adresse kann nicht für ein neues Konto verwendet werden. Wenn es Ihre ist, melden Sie sich stattdessen an.',
    too_many: 'Aus Ihrem Netzwerk wurden zu viele Konten erstellt. Versuchen Sie es später erneut.',
  },
  consent: {
    title: 'Zugriff erlauben',
    heading: 'Zugriff erlauben?',
    would_like: '<strong>{{client}}</strong> möchte:',
    learn_more:
      'Mehr über diese Anwendung erfahren Sie unter <a href="{{url}}" rel="noopener noreferrer">{{url}}</a>.',
    allow: 'Erlauben',
    deny: 'Ablehnen',
    remembered:
      'Sie können Ihre Entscheidung später ändern; sie wird für diese Anwendung gespeichert.',
  },
  scope: {
    openid: 'Wissen, wer Sie bei diesem Dienst sind (eine dauerhafte Kontokennung)',
    profile: 'Ihren Namen und Ihr Profilbild sehen',
    email: 'Ihre E-Mail-Adresse sehen',
    offline_access: 'Zugriff behalten, während Sie die Anwendung nicht verwenden',
    unknown: 'Die Berechtigung „{{scope}}“ verwenden',
    api_profile: 'Ihren Namen und Ihr Profilbild über Ihr {{product}}-Konto sehen und ändern',
    api_email: 'Ihre E-Mail-Adresse über Ihr {{product}}-Konto sehen',
    resource:
      'Die Berechtigung „{{scope}}“ bei {{resource}} verwenden, was auch das Ändern von Daten dort umfassen kann',
  },
  logout: {
    title: 'Abmelden',
    heading: 'Abmelden?',
    asked_by: '<strong>{{client}}</strong> möchte Sie von {{product}} abmelden.',
    about_to: 'Sie sind dabei, sich von {{product}} abzumelden.',
    explain:
      'Die Abmeldung beendet Ihre Sitzung hier; Anwendungen, die {{product}} verwenden, werden Sie daher erneut um eine Anmeldung bitten.',
    confirm: 'Ja, abmelden',
    stay: 'Nein, angemeldet bleiben',
    auto_heading: 'Sie werden abgemeldet …',
    auto_button: 'Abmelden',
  },
  logged_out: {
    title: 'Abgemeldet',
    heading: 'Sie sind abgemeldet',
    from_client: 'Sie haben sich über <strong>{{client}}</strong> von {{product}} abgemeldet.',
    done: 'Sie haben sich von {{product}} abgemeldet.',
    close: 'Sie können dieses Fenster jetzt schließen.',
  },
  error_page: {
    details: 'Details: {{detail}}',
    go_back: 'Zurück',
    status: 'Fehler {{status}}',
    status_code: 'Fehler {{status}} ({{code}})',
    request_id: 'Anfrage-ID',
  },
  oidc: {
    title: 'Die Anmeldung konnte nicht fortgesetzt werden',
    fallback: 'Die Anmeldeanfrage konnte nicht abgeschlossen werden.',
    reason: {
      invalid_request: 'Die Anwendung hat eine ungültige Anmeldeanfrage gesendet.',
      invalid_client: 'Die Anwendung ist bei diesem Anmeldedienst nicht registriert.',
      invalid_redirect_uri:
        'Die Anwendung wollte zu einer Adresse zurückkehren, die sie nicht registriert hat.',
      unauthorized_client: 'Die Anwendung darf diese Anfrage nicht stellen.',
      invalid_scope: 'Die Anwendung hat einen Zugriff angefordert, der nicht verfügbar ist.',
      access_denied: 'Der Zugriff wurde verweigert.',
      server_error: 'Bei uns ist etwas schiefgelaufen.',
    },
  },
  link: {
    title: 'Konto verknüpfen',
    heading: '{{upstream}} mit Ihrem Konto verknüpfen',
    explain:
      'Ein Konto verwendet bereits <strong>{{email}}</strong>. Um sich künftig mit {{upstream}} dort anzumelden, weisen Sie zuerst nach, dass es Ihres ist, indem Sie sich dort anmelden.',
    password: 'Passwort dieses Kontos',
    submit: 'Bei diesem Konto anmelden und verknüpfen',
    others:
      'Oder, falls sich dieses Konto über einen dieser Dienste anmeldet, fahren Sie damit fort:',
    separate: 'Ein separates Konto ohne diese E-Mail-Adresse erstellen',
    back: 'Zurück zur Anmeldung',
    wrong_password: 'Mit diesem Passwort ist keine Anmeldung bei diesem Konto möglich.',
    already_linked:
      'Diese Anmeldung ist bereits mit einem anderen Konto verknüpft. Melden Sie sich stattdessen mit diesem Konto an.',
  },
  callback: {
    expired_title: 'Diese Anmeldung ist abgelaufen',
    expired:
      'Diese Anmeldung mit {{upstream}} ist unbekannt, abgelaufen oder wurde bereits verwendet. Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.',
  },
  account: {
    title: 'Ihr Konto',
    signed_out_lede: 'Melden Sie sich an, um Ihr Profil und Ihre Anmeldemöglichkeiten zu sehen.',
    sign_in: 'Anmelden oder Konto erstellen',
    heading: 'Ihr Konto',
    reauth_title: 'Bestätigen Sie, dass Sie es sind',
    reauth_explain:
      'Ihre Anmeldung liegt schon länger zurück, daher wurde nichts geändert. Melden Sie sich erneut an und nehmen Sie die Änderung noch einmal vor.',
    sign_in_again: 'Erneut anmelden',
    no_name: 'Kein Name',
    verified: 'bestätigt',
    not_verified_email: 'nicht bestätigt',
    methods: 'So melden Sie sich an',
    password_label: 'Passwort',
    password_set: 'festgelegt',
    password_not_set: 'nicht festgelegt',
    remove: 'Entfernen',
    only_way: '(Ihre einzige Anmeldemöglichkeit)',
    change_password_heading: 'Passwort ändern',
    set_password_heading: 'Passwort festlegen',
    current_password: 'Aktuelles Passwort',
    new_password: 'Neues Passwort',
    change_password: 'Passwort ändern',
    set_password: 'Passwort festlegen',
    no_email:
      'Dieses Konto hat keine E-Mail-Adresse und meldet sich daher nur über die verknüpften Dienste an.',
    sign_out: 'Abmelden',
    switched: 'Sie sind jetzt als {{who}} angemeldet. Es wurde nichts geändert.',
    another_account: 'ein anderes Konto',
    reauth_password: 'Sie haben sich erneut angemeldet. Sie können jetzt Ihr Passwort ändern.',
    reauth_methods:
      'Sie haben sich erneut angemeldet. Sie können jetzt eine Anmeldemöglichkeit hinzufügen oder entfernen.',
    not_verified: 'Diese Anmeldung konnte nicht überprüft werden. Bitte melden Sie sich erneut an.',
    cancelled: 'Die Anmeldung wurde abgebrochen.',
    password_too_long: 'Dieses Passwort ist zu lang.',
    wrong_password: 'Ihr aktuelles Passwort ist falsch.',
    password_saved: 'Ihr Passwort wurde gespeichert.',
    only_method: 'Dies ist Ihre einzige Anmeldemöglichkeit, daher kann sie nicht entfernt werden.',
    method_not_linked: 'Diese Anmeldemöglichkeit ist nicht mit Ihrem Konto verknüpft.',
    signed_out: 'Sie sind von {{product}} abgemeldet.',
    email_unverified:
      'Nicht bestätigt: {{product}} kann noch keine E-Mails senden und diese Adresse daher nicht prüfen. Die Bestätigung per E-Mail kommt, sobald {{product}} E-Mails sendet.',
    profile: {
      heading: 'Ihr Profil',
      name: 'Name',
      picture: 'Bild-URL',
      picture_hint: 'Die https-Adresse eines Bildes. Leer lassen für kein Bild.',
      save: 'Profil speichern',
      saved: 'Ihr Profil wurde gespeichert.',
    },
    link: {
      heading: 'Anmeldemöglichkeit hinzufügen',
      button: '{{upstream}} verknüpfen',
      linked: '{{upstream}} ist jetzt verknüpft: Sie können sich damit anmelden.',
      cancelled: 'Das Verknüpfen mit {{upstream}} wurde abgebrochen. Es wurde nichts geändert.',
      already_linked:
        'Dieses {{upstream}}-Konto ist bereits mit einem anderen {{product}}-Konto verknüpft und wurde daher nicht mit diesem verknüpft.',
      expired:
        'Diese Verknüpfung mit {{upstream}} konnte nicht bestätigt werden: Sie ist abgelaufen, wurde bereits verwendet oder in einer anderen Sitzung begonnen. Es wurde nichts geändert.',
    },
  },
  brand: {
    page_title: '{{title}} · {{product}}',
    sign_in_heading: 'Bei {{product}} anmelden',
    sign_up_heading: 'Ihr {{product}}-Konto erstellen',
    account_heading: 'Ihr {{product}}-Konto',
    account_client: '{{product}}-Konto',
    help: 'Brauchen Sie Hilfe? Schreiben Sie an {{email}}.',
    terms: 'Nutzungsbedingungen',
    privacy: 'Datenschutzerklärung',
    agree_both: 'Mit dem Erstellen eines Kontos stimmen Sie den {{terms}} und der {{privacy}} zu.',
    agree_terms: 'Mit dem Erstellen eines Kontos stimmen Sie den {{terms}} zu.',
    agree_privacy: 'Mit dem Erstellen eines Kontos stimmen Sie der {{privacy}} zu.',
    client_policy: 'Datenschutzerklärung',
    client_tos: 'Nutzungsbedingungen',
    client_both: 'Lesen Sie die {{policy}} und die {{tos}} von {{client}}.',
    client_policy_only: 'Lesen Sie die {{policy}} von {{client}}.',
    client_tos_only: 'Lesen Sie die {{tos}} von {{client}}.',
    button: {
      sign_in_with: 'Mit {{upstream}} anmelden',
      continue_with: 'Weiter mit {{upstream}}',
    },
  },
  field: {
    email: {
      missing: 'Geben Sie Ihre E-Mail-Adresse ein.',
      too_long: 'E-Mail-Adressen dürfen höchstens {{max}} Zeichen lang sein.',
      invalid: 'Geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.com.',
    },
    name: {
      missing: 'Geben Sie Ihren Namen ein.',
      too_long: 'Namen dürfen höchstens {{max}} Zeichen lang sein.',
      control: 'Namen dürfen keine Steuerzeichen enthalten.',
    },
    picture: {
      too_long: 'Bild-URLs dürfen höchstens {{max}} Zeichen lang sein.',
      not_https: 'Das Bild muss eine https-URL sein.',
    },
    password: {
      too_short: 'Verwenden Sie mindestens {{min}} Zeichen.',
      too_long:
        'Verwenden Sie höchstens {{max}} Byte (etwa {{max}} Buchstaben, weniger mit Akzenten oder Emojis); längere Passwörter können nicht sicher gespeichert werden.',
      common: 'Dieses Passwort gehört zu den am häufigsten verwendeten; wählen Sie ein anderes.',
      is_email: 'Ihr Passwort darf nicht Ihre E-Mail-Adresse sein.',
      needs_email: 'Fügen Sie eine E-Mail-Adresse hinzu, bevor Sie ein Passwort festlegen.',
    },
  },
  cli: {
    email_taken: 'Ein Konto mit der E-Mail-Adresse {{email}} existiert bereits.',
    account_not_found: 'Dieses Konto gibt es nicht.',
    invalid_field: 'Ungültiges Feld {{field}}: {{problem}}',
  },
} as const satisfies Translation<'one'>;
