<?php
function f_28() { return 28; }
