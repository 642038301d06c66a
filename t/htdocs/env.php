<?php echo getenv('USE_ZEND_DTRACE') === false ? 'unset' : getenv('USE_ZEND_DTRACE');
