// Every sentence of en.ts in Spanish: neutral (no regional forms), formal register.
import type { Translation } from './translation.ts';

export const es = {
  layout: {
    languages: 'Idioma',
    show_password: 'Mostrar la contraseña',
    hide_password: 'Ocultar la contraseña',
  },
  error: {
    invalid_input: { title: 'Revise sus datos' },
    email_taken: {
      title: 'Correo electrónico no disponible',
      message: 'Esa dirección de correo electrónico no se puede usar para una cuenta nueva.',
    },
    invalid_credentials: {
      title: 'No se pudo iniciar sesión',
      message: 'El correo electrónico o la contraseña no son correctos.',
    },
    too_many_attempts: {
      title: 'Demasiados intentos',
      message_one: 'Demasiados intentos. Vuelva a intentarlo dentro de {{count, number}} minuto.',
      message_many:
        'Demasiados intentos. Vuelva a intentarlo dentro de {{count, number}} de minutos.',
      message_other:
        'Demasiados intentos. Vuelva a intentarlo dentro de {{count, number}} minutos.',
    },
    hashing_busy: {
      title: 'Servicio ocupado',
      message_one:
        'En este momento se están comprobando demasiados inicios de sesión. Espere {{count, number}} segundo y vuelva a intentarlo.',
      message_many:
        'En este momento se están comprobando demasiados inicios de sesión. Espere {{count, number}} de segundos y vuelva a intentarlo.',
      message_other:
        'En este momento se están comprobando demasiados inicios de sesión. Espere {{count, number}} segundos y vuelva a intentarlo.',
    },
    identity_already_linked: {
      title: 'Ya vinculado',
      message: 'Este inicio de sesión ya está vinculado a otra cuenta.',
    },
    last_sign_in_method: {
      title: 'No se puede eliminar',
      message: 'Es la única forma de iniciar sesión en la cuenta, así que no se puede eliminar.',
    },
    account_not_found: { title: 'No encontrada', message: 'La cuenta no existe.' },
    refused: { title: 'Solicitud rechazada' },
    session_expired: {
      title: 'Esta página ha caducado',
      message:
        'Esta página de inicio de sesión ha caducado o se abrió en otro navegador. Vuelva a la aplicación e inicie sesión de nuevo.',
    },
    page_not_found: {
      title: 'Página no encontrada',
      message: 'La página solicitada no existe.',
    },
    store_unavailable: {
      title: 'No disponible temporalmente',
      message:
        'El servicio no está disponible por un momento. Vuelva a intentarlo en unos segundos; no se ha perdido nada de lo que escribió.',
    },
    unstorable_value: {
      title: 'Solicitud rechazada',
      message: 'La solicitud contiene un valor que no se puede guardar.',
    },
    provider_failed: { title: 'Algo salió mal', message: 'Se produjo un error inesperado.' },
    server_error: {
      title: 'Algo salió mal',
      message:
        'Se produjo un error inesperado. Si vuelve a ocurrir, indique el identificador de solicitud que aparece abajo.',
    },
    upstream_denied: {
      title: 'Inicio de sesión cancelado',
      message: 'Canceló el inicio de sesión con {{upstream}}. Elija otra forma de iniciar sesión.',
    },
    upstream_account_not_allowed: {
      title: 'Cuenta no permitida',
      message: 'Aquí solo pueden iniciar sesión las cuentas de {{upstream}} de {{domain}}.',
    },
    upstream_unavailable: {
      title: '{{upstream}} no está disponible',
      message:
        '{{upstream}} no respondió a tiempo o tuvo un problema. Vuelva a intentarlo en unos minutos o inicie sesión de otra forma.',
    },
    upstream_rejected: {
      title: 'No se pudo iniciar sesión con {{upstream}}',
      message:
        'No se pudo aceptar la respuesta de {{upstream}}. Vuelva a intentarlo o inicie sesión de otra forma.',
    },
  },
  request: {
    method_not_allowed: '{{method}} no está admitido.',
    compressed: 'No se aceptan cuerpos de solicitud comprimidos.',
    too_large: 'El cuerpo de la solicitud supera los {{limit}} bytes.',
    already_read: 'El cuerpo de la solicitud ya se había leído.',
    cut_off: 'El cuerpo de la solicitud llegó incompleto.',
    not_utf8: 'El cuerpo de la solicitud no es UTF-8 válido.',
    field_repeated: 'El campo «{{field}}» se envió más de una vez.',
    field_too_long: 'El campo «{{field}}» es demasiado largo.',
    field_control: 'El campo «{{field}}» contiene caracteres de control.',
    form_only: 'Este formulario solo acepta cuerpos application/x-www-form-urlencoded.',
    json_only: 'Envíe el cuerpo como application/json.',
    json_invalid: 'El cuerpo de la solicitud no es JSON válido.',
    json_not_object: 'El cuerpo de la solicitud debe ser un objeto JSON.',
    json_control: '«{{field}}» contiene caracteres de control.',
    cross_site: 'Este formulario se envió desde otro sitio y fue rechazado.',
    form_expired:
      'Este formulario ha caducado o no se envió desde este sitio. Vuelva atrás e inténtelo de nuevo.',
    account_form_expired:
      'Este formulario ha caducado o no se envió desde este sitio. Vuelva a cargar la página e inténtelo de nuevo.',
  },
  api: {
    token_required: 'Se necesita un token de acceso de tipo bearer.',
    malformed_header: 'Encabezado Authorization mal formado',
    token_invalid: 'El token de acceso no es válido o ha caducado',
    wrong_audience: 'El token de acceso no se emitió para esta API',
    sender_constrained: 'Aquí no se aceptan tokens vinculados al remitente',
    not_first_party: 'El token de acceso no se emitió para una aplicación propia',
    token_revoked: 'El token de acceso ha sido revocado',
    account_gone: 'La cuenta ya no existe',
    scope_needed: 'El token de acceso necesita el ámbito «{{scope}}».',
    unknown_fields: 'Campos desconocidos: {{fields}}.',
    name_type: '«name» debe ser una cadena.',
    picture_type: '«picture» debe ser una cadena o null.',
  },
  token: {
    code_expired:
      'El código de autorización ha caducado (los códigos valen 60 segundos). Vuelva a iniciar sesión.',
    code_used:
      'El código de autorización ya se usó; un código solo puede canjearse una vez, y sus tokens se han revocado.',
    code_unknown:
      'El código de autorización es desconocido: nunca se emitió, ha caducado o su autorización se revocó.',
    refresh_expired: 'El token de actualización ha caducado. Vuelva a iniciar sesión.',
    refresh_used:
      'El token de actualización ya se usó; cada actualización devuelve uno nuevo, y reutilizarlo revoca la autorización.',
    refresh_unknown:
      'El token de actualización es desconocido: nunca se emitió, ha caducado o su autorización se revocó.',
  },
  interaction: {
    step_done: 'Este paso del inicio de sesión ya está hecho. Vuelva a la aplicación.',
    step_unsupported: 'Este paso del inicio de sesión no está admitido.',
    choose_decision: 'Elija si permite o deniega el acceso.',
    upstream_not_enabled: 'Este servicio de inicio de sesión no está habilitado.',
    upstream_unreachable:
      'No es posible conectar con {{upstream}} en este momento. Vuelva a intentarlo en unos minutos o inicie sesión de otra forma.',
    back_to_sign_in: 'Volver al inicio de sesión',
  },
  common: {
    to_continue: 'para continuar en <strong>{{client}}</strong>',
    email: 'Correo electrónico',
    password: 'Contraseña',
    password_hint: 'Al menos {{min}} caracteres. Lo mejor es una frase de contraseña larga.',
    or: 'o',
    cancel: 'Cancelar y volver a la aplicación',
    fix_these: 'Corrija lo siguiente:',
  },
  login: {
    title: 'Iniciar sesión',
    remember: 'Mantener la sesión iniciada en este dispositivo',
    submit: 'Iniciar sesión',
    new_here: '¿Primera vez aquí?',
    create_account: 'Crear una cuenta',
    missing: 'Introduzca su correo electrónico y su contraseña.',
    confirm: 'Vuelva a iniciar sesión para confirmar su identidad.',
    state_mismatch:
      'No se pudo verificar ese inicio de sesión con {{upstream}}. Inténtelo de nuevo.',
    own_lede: 'para ver y gestionar su cuenta de {{product}}',
    own_cancel: 'Cancelar y volver a la página de la cuenta',
  },
  signup: {
    title: 'Cree su cuenta',
    name: 'Nombre',
    submit: 'Crear cuenta',
    have_account: '¿Ya tiene una cuenta?',
    sign_in: 'Iniciar sesión',
    email_taken:
      'Esa dirección de correo electrónico no se puede usar para una cuenta nueva. Si es suya, inicie sesión.',
    too_many: 'Se han creado demasiadas cuentas desde su red. Inténtelo más tarde.',
  },
  consent: {
    title: 'Permitir el acceso',
    heading: '¿Permitir el acceso?',
    would_like: '<strong>{{client}}</strong> solicita:',
    learn_more:
      'Más información sobre esta aplicación en <a href="{{url}}" rel="noopener noreferrer">{{url}}</a>.',
    allow: 'Permitir',
    deny: 'Denegar',
    remembered:
      'Puede cambiar de opinión más adelante; su elección se recuerda para esta aplicación.',
  },
  scope: {
    openid: 'Saber quién es usted en este servicio (un identificador de cuenta estable)',
    profile: 'Ver su nombre y su foto de perfil',
    email: 'Ver su dirección de correo electrónico',
    offline_access: 'Mantener el acceso mientras no usa la aplicación',
    unknown: 'Usar el permiso «{{scope}}»',
    api_profile: 'Ver y cambiar su nombre y su foto de perfil a través de su cuenta de {{product}}',
    api_email: 'Ver su dirección de correo electrónico a través de su cuenta de {{product}}',
    resource:
      'Usar el permiso «{{scope}}» en {{resource}}, lo que puede incluir cambiar datos allí',
  },
  logout: {
    title: 'Cerrar sesión',
    heading: '¿Cerrar sesión?',
    asked_by: '<strong>{{client}}</strong> ha solicitado cerrar su sesión en {{product}}.',
    about_to: 'Está a punto de cerrar su sesión en {{product}}.',
    explain:
      'Al cerrar sesión, su sesión aquí termina, por lo que las aplicaciones que usan {{product}} le pedirán que vuelva a iniciar sesión.',
    confirm: 'Sí, cerrar sesión',
    stay: 'No, mantener la sesión',
    auto_heading: 'Cerrando su sesión…',
    auto_button: 'Cerrar sesión',
  },
  logged_out: {
    title: 'Sesión cerrada',
    heading: 'Ha cerrado la sesión',
    from_client: 'Cerró su sesión en {{product}} desde <strong>{{client}}</strong>.',
    done: 'Cerró su sesión en {{product}}.',
    close: 'Ya puede cerrar esta ventana.',
  },
  error_page: {
    details: 'Detalles: {{detail}}',
    go_back: 'Volver',
    status: 'Error {{status}}',
    status_code: 'Error {{status}} ({{code}})',
    request_id: 'identificador de solicitud',
  },
  oidc: {
    title: 'No se pudo continuar con el inicio de sesión',
    fallback: 'No se pudo completar la solicitud de inicio de sesión.',
    reason: {
      invalid_request: 'La aplicación envió una solicitud de inicio de sesión no válida.',
      invalid_client: 'La aplicación no está registrada en este servicio de inicio de sesión.',
      invalid_redirect_uri: 'La aplicación pidió volver a una dirección que no tiene registrada.',
      unauthorized_client: 'La aplicación no tiene permiso para hacer esta solicitud.',
      invalid_scope: 'La aplicación pidió un acceso que no está disponible.',
      access_denied: 'Se denegó el acceso.',
      server_error: 'Algo salió mal por nuestra parte.',
    },
  },
  link: {
    title: 'Vincule su cuenta',
    heading: 'Vincular {{upstream}} a su cuenta',
    explain:
      'Ya existe una cuenta con <strong>{{email}}</strong>. Para iniciar sesión en ella con {{upstream}} a partir de ahora, primero demuestre que es suya iniciando sesión en ella.',
    password: 'Contraseña de esa cuenta',
    submit: 'Iniciar sesión en esa cuenta y vincular',
    others: 'O, si esa cuenta inicia sesión con uno de estos servicios, continúe con él:',
    separate: 'Crear una cuenta aparte sin este correo electrónico',
    back: 'Volver al inicio de sesión',
    wrong_password: 'Esa contraseña no corresponde a esa cuenta.',
    already_linked:
      'Este inicio de sesión ya está vinculado a otra cuenta. Inicie sesión con esa cuenta.',
  },
  callback: {
    expired_title: 'Este inicio de sesión ha caducado',
    expired:
      'Este inicio de sesión con {{upstream}} es desconocido, ha caducado o ya se usó. Vuelva a la aplicación e inicie sesión de nuevo.',
  },
  account: {
    title: 'Su cuenta',
    signed_out_lede: 'Inicie sesión para ver su perfil y cómo inicia sesión.',
    sign_in: 'Iniciar sesión o crear una cuenta',
    heading: 'Su cuenta',
    reauth_title: 'Confirme su identidad para continuar',
    reauth_explain:
      'Inició sesión hace un tiempo, así que no se cambió nada. Vuelva a iniciar sesión y repita el cambio.',
    sign_in_again: 'Volver a iniciar sesión',
    no_name: 'Sin nombre',
    verified: 'verificado',
    not_verified_email: 'sin verificar',
    methods: 'Cómo inicia sesión',
    password_label: 'Contraseña',
    password_set: 'establecida',
    password_not_set: 'sin establecer',
    remove: 'Eliminar',
    only_way: '(su única forma de iniciar sesión)',
    change_password_heading: 'Cambie su contraseña',
    set_password_heading: 'Establezca una contraseña',
    current_password: 'Contraseña actual',
    new_password: 'Contraseña nueva',
    change_password: 'Cambiar la contraseña',
    set_password: 'Establecer la contraseña',
    no_email:
      'Esta cuenta no tiene dirección de correo electrónico, así que solo inicia sesión con los servicios vinculados.',
    sign_out: 'Cerrar sesión',
    switched: 'Ahora ha iniciado sesión como {{who}}. No se cambió nada.',
    another_account: 'otra cuenta',
    reauth_password: 'Volvió a iniciar sesión. Ya puede cambiar su contraseña.',
    reauth_methods:
      'Volvió a iniciar sesión. Ya puede añadir o eliminar un método de inicio de sesión.',
    not_verified: 'No se pudo verificar ese inicio de sesión. Vuelva a iniciar sesión.',
    cancelled: 'Se canceló el inicio de sesión.',
    password_too_long: 'Esa contraseña es demasiado larga.',
    wrong_password: 'Su contraseña actual no es correcta.',
    password_saved: 'Se guardó su contraseña.',
    only_method: 'Es su única forma de iniciar sesión, así que no se puede eliminar.',
    method_not_linked: 'Ese método de inicio de sesión no está vinculado a su cuenta.',
    signed_out: 'Ha cerrado su sesión en {{product}}.',
    email_unverified:
      'Sin verificar: {{product}} aún no puede enviar correos, así que no tiene forma de comprobar esta dirección. La verificación por correo llegará cuando {{product}} envíe correos.',
    profile: {
      heading: 'Su perfil',
      name: 'Nombre',
      picture: 'URL de la imagen',
      picture_hint: 'La dirección https de una imagen. Déjela vacía para no tener imagen.',
      save: 'Guardar el perfil',
      saved: 'Se ha guardado su perfil.',
    },
    link: {
      heading: 'Añadir una forma de iniciar sesión',
      button: 'Vincular {{upstream}}',
      linked: '{{upstream}} ya está vinculado: puede iniciar sesión con él.',
      cancelled: 'Se canceló la vinculación de {{upstream}}. No se ha cambiado nada.',
      already_linked:
        'Esa cuenta de {{upstream}} ya está vinculada a otra cuenta de {{product}}, así que no se ha vinculado a esta.',
      expired:
        'No se pudo verificar esa vinculación de {{upstream}}: caducó, ya se usó o se inició en otra sesión. No se ha cambiado nada.',
    },
  },
  brand: {
    page_title: '{{title}} · {{product}}',
    sign_in_heading: 'Inicie sesión en {{product}}',
    sign_up_heading: 'Cree su cuenta de {{product}}',
    account_heading: 'Su cuenta de {{product}}',
    account_client: 'Cuenta de {{product}}',
    help: '¿Necesita ayuda? Escriba a {{email}}.',
    terms: 'Condiciones del servicio',
    privacy: 'Política de privacidad',
    agree_both: 'Al crear una cuenta, acepta las {{terms}} y la {{privacy}}.',
    agree_terms: 'Al crear una cuenta, acepta las {{terms}}.',
    agree_privacy: 'Al crear una cuenta, acepta la {{privacy}}.',
    client_policy: 'política de privacidad',
    client_tos: 'condiciones del servicio',
    client_both: 'Consulte la {{policy}} y las {{tos}} de {{client}}.',
    client_policy_only: 'Consulte la {{policy}} de {{client}}.',
    client_tos_only: 'Consulte las {{tos}} de {{client}}.',
    button: {
      sign_in_with: 'Iniciar sesión con {{upstream}}',
      continue_with: 'Continuar con {{upstream}}',
    },
  },
  field: {
    email: {
      missing: 'Introduzca su dirección de correo electrónico.',
      too_long:
        'Las direcciones de correo electrónico pueden tener como máximo {{max}} caracteres.',
      invalid: 'Introduzca una dirección de correo electrónico válida, como nombre@example.com.',
    },
    name: {
      missing: 'Introduzca su nombre.',
      too_long: 'Los nombres pueden tener como máximo {{max}} caracteres.',
      control: 'Los nombres no pueden contener caracteres de control.',
    },
    picture: {
      too_long: 'Las URL de imagen pueden tener como máximo {{max}} caracteres.',
      not_https: 'La imagen debe ser una URL https.',
    },
    password: {
      too_short: 'Use al menos {{min}} caracteres.',
      too_long:
        'Use como máximo {{max}} bytes (unas {{max}} letras, menos con acentos o emojis); las contraseñas más largas no se pueden guardar de forma segura.',
      common: 'Esta contraseña es una de las más usadas; elija otra.',
      is_email: 'Su contraseña no puede ser su dirección de correo electrónico.',
      needs_email: 'Añada una dirección de correo electrónico antes de establecer una contraseña.',
    },
  },
  cli: {
    email_taken: 'Ya existe una cuenta con el correo electrónico {{email}}.',
    account_not_found: 'No existe esa cuenta.',
    invalid_field: '{{field}} no válido: {{problem}}',
  },
} as const satisfies Translation<'one' | 'many'>;
